using System.Diagnostics.CodeAnalysis;

namespace Chronoq.Core.Internal;

/// <summary>
/// The engine's command queue: many writers, one reader, no lock and no allocation. Writers push
/// onto an intrusive stack (one compare-exchange each); the reader takes the whole stack with one
/// exchange and reverses it, so commands come out in the order they were pushed and the reader pays
/// no atomic operation per command. A command links through <see cref="EngineCommand.Next"/>, so
/// it may be in the queue only once at a time.
/// </summary>
internal sealed class CommandQueue
{
    // Pushed and not yet taken, newest first.
    private EngineCommand? _pushed;

    // Taken by the reader and not yet handed out, oldest first.
    private EngineCommand? _taken;

    /// <summary>Whether a command is waiting. Reader only.</summary>
    public bool IsEmpty => _taken is null && Volatile.Read(ref _pushed) is null;

    /// <summary>Adds a command. The compare-exchange that publishes it is a full fence.</summary>
    public void Push(EngineCommand command)
    {
        var head = Volatile.Read(ref _pushed);
        while (true)
        {
            command.Next = head;
            var seen = Interlocked.CompareExchange(ref _pushed, command, head);
            if (ReferenceEquals(seen, head))
            {
                return;
            }

            head = seen;
        }
    }

    /// <summary>The oldest command, if any. Reader only: one thread at a time.</summary>
    public bool TryTake([NotNullWhen(true)] out EngineCommand? command)
    {
        if (_taken is null)
        {
            if (Volatile.Read(ref _pushed) is null)
            {
                command = null;
                return false;
            }

            var newestFirst = Interlocked.Exchange(ref _pushed, null);
            EngineCommand? oldestFirst = null;
            while (newestFirst is not null)
            {
                var next = newestFirst.Next;
                newestFirst.Next = oldestFirst;
                oldestFirst = newestFirst;
                newestFirst = next;
            }

            _taken = oldestFirst;
        }

        command = _taken!;
        _taken = command.Next;
        command.Next = null;
        return true;
    }
}
