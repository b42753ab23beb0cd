namespace Chronoq.Service.Security;

/// <summary>
/// Roles on topics: <c>Chronoq:Auth:Keys:N:Grants:M:Roles:I</c> (<c>produce</c>, <c>consume</c>,
/// <c>admin</c>) and <c>...:Topics:I</c> (topic names or patterns where <c>*</c> matches any run of
/// characters, e.g. <c>orders.*</c>, or <c>*</c> for every topic).
/// </summary>
public sealed class ApiKeyGrantOptions
{
    /// <summary>The roles granted: <c>produce</c> (Put, PutBatch, DeleteByKey), <c>consume</c> (Reserve, ReserveOne, and Delete/Release/Bury/Touch with a reservation), <c>admin</c> (everything else).</summary>
    public IList<string> Roles { get; } = [];

    /// <summary>The topics (patterns) the roles apply to.</summary>
    public IList<string> Topics { get; } = [];
}
