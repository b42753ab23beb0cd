using System.Runtime.InteropServices;
using Chronoq.Core.Storage;

namespace Chronoq.Storage.Postgres.Internal;

/// <summary>The column arrays of one upsert statement.</summary>
internal sealed class UpsertColumns
{
    public List<long> Ids { get; } = new();
    public List<string> Topics { get; } = new();
    public List<byte[]> Bodies { get; } = new();
    public List<long> Priorities { get; } = new();
    public List<short> States { get; } = new();
    public List<long> ReadyAtMs { get; } = new();
    public List<long> TtrMs { get; } = new();
    public List<string?> Keys { get; } = new();
    public List<long> CreatedAtMs { get; } = new();
    public List<long> BuriedAtMs { get; } = new();
    public List<long> Reserves { get; } = new();
    public List<long> Timeouts { get; } = new();
    public List<long> Releases { get; } = new();
    public List<long> Buries { get; } = new();
    public List<long> Kicks { get; } = new();
    public List<string?> Headers { get; } = new();

    public int Count => Ids.Count;

    public void Add(JobRecord record, bool includeBody)
    {
        Ids.Add(CommitColumns.ToStored(record.Id));
        Topics.Add(record.Topic);
        if (includeBody)
        {
            Bodies.Add(AsArray(record.Body));
        }

        Priorities.Add(record.Priority);
        States.Add((short)record.State);
        ReadyAtMs.Add(record.ReadyAtMs);
        TtrMs.Add(record.TtrMs);
        Keys.Add(record.Key);
        CreatedAtMs.Add(record.CreatedAtMs);
        BuriedAtMs.Add(record.BuriedAtMs);
        Reserves.Add(record.Reserves);
        Timeouts.Add(record.Timeouts);
        Releases.Add(record.Releases);
        Buries.Add(record.Buries);
        Kicks.Add(record.Kicks);
        Headers.Add(HeaderCodec.Encode(record.Headers));
    }

    public void Clear()
    {
        Ids.Clear();
        Topics.Clear();
        Bodies.Clear();
        Priorities.Clear();
        States.Clear();
        ReadyAtMs.Clear();
        TtrMs.Clear();
        Keys.Clear();
        CreatedAtMs.Clear();
        BuriedAtMs.Clear();
        Reserves.Clear();
        Timeouts.Clear();
        Releases.Clear();
        Buries.Clear();
        Kicks.Clear();
        Headers.Clear();
    }

    /// <summary>The body's own array when it spans one whole array (the usual case), else a copy.</summary>
    private static byte[] AsArray(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return [];
        }

        return MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : body.ToArray();
    }
}
