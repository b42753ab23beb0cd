namespace HostedWorker;

/// <summary>A job asking for an email to be sent.</summary>
public sealed record SendEmail(string To, string Subject);
