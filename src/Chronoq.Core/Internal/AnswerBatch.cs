namespace Chronoq.Core.Internal;

/// <summary>
/// A chunk of one turn's answers delivered by one thread-pool work item: the callers'
/// continuations run inline here, one after another, so a turn of n answers costs n / Capacity
/// pool hops instead of n. Pooled by the engine.
/// </summary>
internal sealed class AnswerBatch : IThreadPoolWorkItem
{
    /// <summary>
    /// Answers per work item. Small enough that a caller whose continuation runs long delays only a
    /// few others (and that both cores pick up chunks of a large turn), large enough that the pool
    /// hop is paid once per many answers.
    /// </summary>
    public const int Capacity = 16;

    private readonly EngineCore _owner;
    private readonly EngineCommand[] _commands = new EngineCommand[Capacity];
    private int _count;

    public AnswerBatch(EngineCore owner) => _owner = owner;

    public void Fill(List<EngineCommand> answers, int start, int count)
    {
        answers.CopyTo(start, _commands, 0, count);
        _count = count;
    }

    public void Execute()
    {
        var count = _count;
        _owner.BeginDelivery();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var command = _commands[i];
                _commands[i] = null!;
                command.CompleteInline();
            }
        }
        finally
        {
            _owner.EndDelivery();
        }

        _count = 0;
        _owner.ReturnAnswerBatch(this);
    }
}
