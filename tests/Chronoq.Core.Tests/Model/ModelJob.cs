namespace Chronoq.Core.Tests.Model;

/// <summary>A job of the reference model: plain fields, changed by plain code.</summary>
internal sealed class ModelJob
{
    public ulong Id;
    public string Topic = "";
    public uint Priority;
    public JobState State;
    public long ReadyAt;
    public long TtrMs;
    public string? Key;
    public ulong Token;
    public ulong LastToken;
    public long Deadline;
    public uint Reserves;
    public uint Timeouts;
    public uint Releases;
    public uint Buries;
    public uint Kicks;
    public long BurySeq;
    public bool Live = true;
}
