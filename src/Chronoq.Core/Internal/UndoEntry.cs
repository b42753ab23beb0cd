namespace Chronoq.Core.Internal;

/// <summary>
/// The before-image of one job touched by the current batch, taken the first time the batch
/// touches it, so a failed commit puts memory back exactly as it was.
/// </summary>
internal struct UndoEntry
{
    public int Slot;
    /// <summary>The job did not exist before the batch (a put): rollback frees it.</summary>
    public bool Created;
    public JobSlot Before;
    public JobExtra BeforeExtra;
    /// <summary>The ready-at time before the batch (it is kept outside the slot, see <see cref="JobTable.ReadyAtMs"/>).</summary>
    public long BeforeReadyAtMs;
}
