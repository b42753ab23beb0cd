namespace Chronoq.Cli;

/// <summary>What the <c>chronoq</c> process exits with, so scripts can tell outcomes apart.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>The server refused or failed the call (status printed), or it could not be reached.</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong (System.CommandLine's usage errors also exit non-zero).</summary>
    public const int Usage = 2;

    /// <summary>An expected miss: no such job, no job to reserve before the timeout, nothing to kick.</summary>
    public const int Empty = 3;
}
