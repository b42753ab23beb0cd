namespace OrderTimeout;

/// <summary>The job that cancels an unpaid order when it comes due.</summary>
public sealed record OrderExpiry(string OrderId, DateTimeOffset PlacedAt);
