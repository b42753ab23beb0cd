namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>One line a client check script printed.</summary>
public sealed record CheckResult(string Check, bool Ok, string Detail);
