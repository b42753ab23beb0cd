using System.Buffers;
using System.Buffers.Text;
using System.Net.Sockets;
using System.Text;
using System.Text.Unicode;

namespace Chronoq.LoadGen.Beanstalk;

/// <summary>
/// One connection to beanstalkd speaking its text protocol (doc/protocol.txt of beanstalkd): the
/// commands the load generator needs — use, put, watch, ignore, reserve, reserve-with-timeout,
/// delete and stats. beanstalkd answers the commands of one connection in the order it received
/// them, so commands can be pipelined: the <c>Write…</c> methods only append a command to the send
/// buffer, <see cref="FlushAsync"/> sends everything buffered in one write, and each <c>Read…</c>
/// method reads the reply of the oldest command not yet answered — the caller reads the replies in
/// the order it wrote the commands. The <c>…Async</c> one-shot methods do all three for one
/// command. Not thread-safe: one caller per connection, as the protocol's ordering requires.
/// </summary>
public sealed class BeanstalkConnection : IAsyncDisposable
{
    /// <summary>beanstalkd's default priority (the middle of its range); lower is more urgent.</summary>
    public const uint DefaultPriority = 1024;

    /// <summary>
    /// Time-to-run of the jobs we put: long enough that a reserved job is never handed back by
    /// beanstalkd while a loaded machine deletes it late, which would make a delete fail.
    /// </summary>
    public const uint DefaultTimeToRunSeconds = 60;

    /// <summary>beanstalkd's limit on a tube name's length.</summary>
    private const int MaxTubeNameBytes = 200;

    /// <summary>Room for one command line: the longest is a put, well under 100 bytes without its body.</summary>
    private const int CommandLineBytes = 128;

    private readonly NetworkStream _stream;
    private readonly ArrayBufferWriter<byte> _outgoing = new(64 * 1024);

    // Received bytes not yet consumed are _incoming[_start.._end].
    private byte[] _incoming = new byte[64 * 1024];
    private int _start;
    private int _end;

    private BeanstalkConnection(Socket socket)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Opens a connection to beanstalkd at <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static async Task<BeanstalkConnection> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        // Nagle would hold back a command written right after another one's reply arrived.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new BeanstalkConnection(socket);
    }

    /// <summary>Queues <c>use</c>: later puts on this connection go to <paramref name="tube"/>. Reply: <see cref="ReadUsingAsync"/>.</summary>
    public void WriteUse(string tube) => WriteTubeCommand("use "u8, tube);

    /// <summary>Queues <c>watch</c>: reserve also takes jobs from <paramref name="tube"/>. Reply: <see cref="ReadWatchingAsync"/>.</summary>
    public void WriteWatch(string tube) => WriteTubeCommand("watch "u8, tube);

    /// <summary>Queues <c>ignore</c>: reserve no longer takes jobs from <paramref name="tube"/>. Reply: <see cref="ReadWatchingAsync"/>.</summary>
    public void WriteIgnore(string tube) => WriteTubeCommand("ignore "u8, tube);

    /// <summary>Queues <c>put</c> of <paramref name="body"/> into the used tube. Reply: <see cref="ReadInsertedAsync"/>.</summary>
    public void WritePut(ReadOnlySpan<byte> body, uint priority = DefaultPriority, uint delaySeconds = 0, uint timeToRunSeconds = DefaultTimeToRunSeconds)
    {
        var span = _outgoing.GetSpan(CommandLineBytes + body.Length + 2);
        Utf8.TryWrite(span, $"put {priority} {delaySeconds} {timeToRunSeconds} {body.Length}\r\n", out var written);
        body.CopyTo(span[written..]);
        written += body.Length;
        "\r\n"u8.CopyTo(span[written..]);
        _outgoing.Advance(written + 2);
    }

    /// <summary>Queues <c>reserve</c>, which waits for a job as long as it takes. Reply: <see cref="ReadReservedAsync"/>.</summary>
    public void WriteReserve() => _outgoing.Write("reserve\r\n"u8);

    /// <summary>Queues <c>reserve-with-timeout</c>; 0 answers at once when no job is ready. Reply: <see cref="ReadReservedAsync"/>.</summary>
    public void WriteReserveWithTimeout(uint seconds) => WriteCommandLine("reserve-with-timeout", seconds);

    /// <summary>Queues <c>delete</c> of job <paramref name="id"/>. Reply: <see cref="ReadDeletedAsync"/>.</summary>
    public void WriteDelete(ulong id) => WriteCommandLine("delete", id);

    /// <summary>Queues <c>stats</c>, the server's counters. Reply: <see cref="ReadStatsAsync"/>.</summary>
    public void WriteStats() => _outgoing.Write("stats\r\n"u8);

    /// <summary>Sends every queued command in one write.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_outgoing.WrittenCount == 0)
        {
            return;
        }

        await _stream.WriteAsync(_outgoing.WrittenMemory, cancellationToken);
        _outgoing.ResetWrittenCount();
    }

    /// <summary>Reads the reply to <c>use</c>: the tube now used.</summary>
    public async ValueTask<string> ReadUsingAsync(CancellationToken cancellationToken = default)
    {
        var line = await ReadLineAsync(cancellationToken);
        if (!Line(line).StartsWith("USING "u8))
        {
            throw Unexpected("use", line);
        }

        return Encoding.ASCII.GetString(Line(line)["USING "u8.Length..]);
    }

    /// <summary>Reads the reply to <c>watch</c> or <c>ignore</c>: how many tubes the connection now watches.</summary>
    public async ValueTask<int> ReadWatchingAsync(CancellationToken cancellationToken = default)
    {
        var line = await ReadLineAsync(cancellationToken);
        if (!Line(line).StartsWith("WATCHING "u8) || !Utf8Parser.TryParse(Line(line)["WATCHING "u8.Length..], out int count, out _))
        {
            throw Unexpected("watch/ignore", line);
        }

        return count;
    }

    /// <summary>Reads the reply to <c>put</c>: the new job's id.</summary>
    public async ValueTask<ulong> ReadInsertedAsync(CancellationToken cancellationToken = default)
    {
        var line = await ReadLineAsync(cancellationToken);
        if (!Line(line).StartsWith("INSERTED "u8) || !Utf8Parser.TryParse(Line(line)["INSERTED "u8.Length..], out ulong id, out _))
        {
            // BURIED (the server could not grow its ready queue), JOB_TOO_BIG, DRAINING, ...
            throw Unexpected("put", line);
        }

        return id;
    }

    /// <summary>Reads the reply to <c>reserve</c> or <c>reserve-with-timeout</c>: the job, or null when the wait timed out.</summary>
    public async ValueTask<BeanstalkJob?> ReadReservedAsync(CancellationToken cancellationToken = default)
    {
        var line = await ReadLineAsync(cancellationToken);
        if (Line(line).SequenceEqual("TIMED_OUT"u8))
        {
            return null;
        }

        // RESERVED <id> <bytes>
        var rest = Line(line).StartsWith("RESERVED "u8) ? Line(line)["RESERVED "u8.Length..] : default;
        if (rest.IsEmpty
            || !Utf8Parser.TryParse(rest, out ulong id, out var idLength)
            || idLength >= rest.Length
            || !Utf8Parser.TryParse(rest[(idLength + 1)..], out int bodyLength, out _))
        {
            // DEADLINE_SOON: a job this connection holds is about to be handed back; never with our TTR.
            throw Unexpected("reserve", line);
        }

        return new BeanstalkJob(id, await ReadDataAsync(bodyLength, cancellationToken));
    }

    /// <summary>Reads the reply to <c>delete</c>: true when deleted, false when beanstalkd knows no such job held by us (NOT_FOUND).</summary>
    public async ValueTask<bool> ReadDeletedAsync(CancellationToken cancellationToken = default)
    {
        var line = await ReadLineAsync(cancellationToken);
        if (Line(line).SequenceEqual("DELETED"u8))
        {
            return true;
        }

        if (Line(line).SequenceEqual("NOT_FOUND"u8))
        {
            return false;
        }

        throw Unexpected("delete", line);
    }

    /// <summary>Reads the reply to <c>stats</c>: beanstalkd's counters by name (its YAML is one flat "name: value" map).</summary>
    public async ValueTask<IReadOnlyDictionary<string, string>> ReadStatsAsync(CancellationToken cancellationToken = default)
    {
        var line = await ReadLineAsync(cancellationToken);
        if (!Line(line).StartsWith("OK "u8) || !Utf8Parser.TryParse(Line(line)["OK "u8.Length..], out int length, out _))
        {
            throw Unexpected("stats", line);
        }

        var stats = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Encoding.ASCII.GetString(await ReadDataAsync(length, cancellationToken)).Split('\n'))
        {
            var colon = entry.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0)
            {
                stats[entry[..colon]] = entry[(colon + 2)..].Trim('"');
            }
        }

        return stats;
    }

    /// <summary>use, sent and answered.</summary>
    public async Task UseAsync(string tube, CancellationToken cancellationToken = default)
    {
        WriteUse(tube);
        await FlushAsync(cancellationToken);
        await ReadUsingAsync(cancellationToken);
    }

    /// <summary>watch, sent and answered; returns how many tubes are watched.</summary>
    public async Task<int> WatchAsync(string tube, CancellationToken cancellationToken = default)
    {
        WriteWatch(tube);
        await FlushAsync(cancellationToken);
        return await ReadWatchingAsync(cancellationToken);
    }

    /// <summary>put, sent and answered; returns the job's id.</summary>
    public async Task<ulong> PutAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        WritePut(body.Span);
        await FlushAsync(cancellationToken);
        return await ReadInsertedAsync(cancellationToken);
    }

    /// <summary>reserve-with-timeout, sent and answered; null when no job came within <paramref name="timeoutSeconds"/>.</summary>
    public async Task<BeanstalkJob?> ReserveAsync(uint timeoutSeconds, CancellationToken cancellationToken = default)
    {
        WriteReserveWithTimeout(timeoutSeconds);
        await FlushAsync(cancellationToken);
        return await ReadReservedAsync(cancellationToken);
    }

    /// <summary>delete, sent and answered; false when beanstalkd knows no such job held by us.</summary>
    public async Task<bool> DeleteAsync(ulong id, CancellationToken cancellationToken = default)
    {
        WriteDelete(id);
        await FlushAsync(cancellationToken);
        return await ReadDeletedAsync(cancellationToken);
    }

    /// <summary>stats, sent and answered.</summary>
    public async Task<IReadOnlyDictionary<string, string>> StatsAsync(CancellationToken cancellationToken = default)
    {
        WriteStats();
        await FlushAsync(cancellationToken);
        return await ReadStatsAsync(cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _stream.DisposeAsync();

    private void WriteTubeCommand(ReadOnlySpan<byte> verb, string tube)
    {
        ValidateTubeName(tube);
        _outgoing.Write(verb);
        Encoding.ASCII.GetBytes(tube, _outgoing);
        _outgoing.Write("\r\n"u8);
    }

    private void WriteCommandLine(string verb, ulong argument)
    {
        // CommandLineBytes is far more than any verb plus a 20-digit number, so the write always fits.
        var span = _outgoing.GetSpan(CommandLineBytes);
        Utf8.TryWrite(span, $"{verb} {argument}\r\n", out var written);
        _outgoing.Advance(written);
    }

    private static void ValidateTubeName(string tube)
    {
        // beanstalkd's rule: 1-200 bytes of letters, digits and - + / ; . $ _ ( ), not starting with '-'.
        if (tube.Length is 0 or > MaxTubeNameBytes
            || tube[0] == '-'
            || !tube.All(c => char.IsAsciiLetterOrDigit(c) || "-+/;.$_()".Contains(c, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"'{tube}' is not a beanstalkd tube name (1-{MaxTubeNameBytes} of A-Z a-z 0-9 - + / ; . $ _ ( ), not starting with '-')", nameof(tube));
        }
    }

    private ReadOnlySpan<byte> Line(Range line) => _incoming.AsSpan(line);

    private BeanstalkException Unexpected(string command, Range line) =>
        new($"{command}: beanstalkd replied '{Encoding.ASCII.GetString(Line(line))}'");

    /// <summary>
    /// The next reply line without its CRLF, as a range of <see cref="_incoming"/> that stays valid
    /// until the next read.
    /// </summary>
    private async ValueTask<Range> ReadLineAsync(CancellationToken cancellationToken)
    {
        var searched = 0;
        while (true)
        {
            var at = _incoming.AsSpan(_start + searched, _end - _start - searched).IndexOf("\r\n"u8);
            if (at >= 0)
            {
                var line = new Range(_start, _start + searched + at);
                _start += searched + at + 2;
                return line;
            }

            // A CR at the very end may be the first half of the CRLF; search it again next time.
            searched = Math.Max(0, _end - _start - 1);
            await ReceiveAsync(cancellationToken);
        }
    }

    /// <summary>A data block of <paramref name="length"/> bytes and its trailing CRLF (a job body, the stats YAML).</summary>
    private async ValueTask<byte[]> ReadDataAsync(int length, CancellationToken cancellationToken)
    {
        while (_end - _start < length + 2)
        {
            await ReceiveAsync(cancellationToken);
        }

        if (!_incoming.AsSpan(_start + length, 2).SequenceEqual("\r\n"u8))
        {
            throw new BeanstalkException($"beanstalkd sent a data block of {length} bytes not followed by CRLF");
        }

        var data = _incoming.AsSpan(_start, length).ToArray();
        _start += length + 2;
        return data;
    }

    private async ValueTask ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _incoming.AsSpan(_start, _end - _start).CopyTo(_incoming);
            _end -= _start;
            _start = 0;
        }

        if (_end == _incoming.Length)
        {
            // A data block larger than the buffer (a big job body).
            Array.Resize(ref _incoming, _incoming.Length * 2);
        }

        var read = await _stream.ReadAsync(_incoming.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            throw new BeanstalkException("beanstalkd closed the connection");
        }

        _end += read;
    }
}
