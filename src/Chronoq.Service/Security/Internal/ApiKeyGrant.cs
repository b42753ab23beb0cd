namespace Chronoq.Service.Security.Internal;

/// <summary>Roles on a set of topic patterns, parsed from one <see cref="ApiKeyGrantOptions"/>.</summary>
internal sealed record ApiKeyGrant(ChronoqRoles Roles, IReadOnlyList<TopicPattern> Topics);
