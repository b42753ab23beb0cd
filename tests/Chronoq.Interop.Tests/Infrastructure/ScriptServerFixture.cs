namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>A fixture server from tests/interop (grpcio or grpc-js), started once per test class.</summary>
public abstract class ScriptServerFixture : IInteropServer, IAsyncLifetime
{
    // Low enough that a test can open more streams than one connection takes, proving the
    // client opens more connections; high enough for the other tests' concurrency.
    private const int StreamLimit = 32;

    private FixtureProcess? _process;

    public Uri Address { get; private set; } = null!;

    public int MaxConcurrentStreams => StreamLimit;

    /// <summary>The interpreter, its working directory and the script.</summary>
    protected abstract (string Interpreter, string Directory, string Script) Program { get; }

    public async Task InitializeAsync()
    {
        var (interpreter, directory, script) = Program;
        _process = FixtureProcess.Start(interpreter, directory, script, "--max-concurrent-streams", StreamLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var line = await _process.WaitForLineAsync("LISTENING ", TimeSpan.FromSeconds(60));
        Address = new Uri($"http://127.0.0.1:{line["LISTENING ".Length..].Trim()}/");
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}
