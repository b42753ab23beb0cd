namespace Chronoq.Core;

/// <summary>The answer to a put (chronoq.v1.PutResponse).</summary>
/// <param name="Id">The new job's id, or the id of the live job that already had the key.</param>
/// <param name="Created">False when a live job with the same key existed and nothing changed.</param>
public readonly record struct PutResult(ulong Id, bool Created);
