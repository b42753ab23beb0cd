namespace Chronoq.Sdk;

/// <summary>The answer to a put.</summary>
/// <param name="Id">The job's id (the existing job's when a live job had the key).</param>
/// <param name="Created">False when a live job with the same key already existed and nothing changed.</param>
public readonly record struct PutResult(ulong Id, bool Created);
