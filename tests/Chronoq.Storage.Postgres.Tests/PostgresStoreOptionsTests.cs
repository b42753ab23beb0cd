namespace Chronoq.Storage.Postgres.Tests;

public sealed class PostgresStoreOptionsTests
{
    private static readonly PostgresStoreOptions Valid = new() { ConnectionString = "Host=127.0.0.1;Username=postgres" };

    [Fact]
    public void Validate_Defaults_AreDocumentedValues()
    {
        Valid.Validate();
        Assert.Equal("chronoq", Valid.Schema);
        Assert.Equal(TimeSpan.FromSeconds(5), Valid.CommitTimeout);
        Assert.Equal(256, Valid.CopyThreshold);
        Assert.Equal(1, Valid.CommitsInFlight);
    }

    [Fact]
    public void Validate_MissingConnectionString_NamesTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => PostgresStoreOptions.Default.Validate());
        Assert.Contains("ConnectionString", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MalformedConnectionString_NamesTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => (Valid with { ConnectionString = "Nonsense Keyword=1" }).Validate());
        Assert.Contains("ConnectionString", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SchemaTooLongForTheDefaultApplicationName_NamesTheSetting_UnlessTheConnectionStringNamesTheApplication()
    {
        var schema = new string('s', 55); // "chronoq:" + 55 = 63 bytes, PostgreSQL's limit
        (Valid with { Schema = schema }).Validate();

        var ex = Assert.Throws<ArgumentException>(() => (Valid with { Schema = schema + "x" }).Validate());
        Assert.Contains("Schema", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Application Name", ex.Message, StringComparison.Ordinal);
        (Valid with { Schema = schema + "x", ConnectionString = Valid.ConnectionString + ";Application Name=orders-queue" }).Validate();
    }

    [Fact]
    public void Validate_Multiplexing_NamesTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => (Valid with { ConnectionString = Valid.ConnectionString + ";Multiplexing=true" }).Validate());
        Assert.Contains("ConnectionString", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Multiplexing", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("chronoq; DROP TABLE x")]
    [InlineData("with-dash")]
    public void Validate_BadSchema_NamesTheSetting(string schema)
    {
        var ex = Assert.Throws<ArgumentException>(() => (Valid with { Schema = schema }).Validate());
        Assert.Contains("Schema", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NonPositiveCommitTimeout_NamesTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => (Valid with { CommitTimeout = TimeSpan.Zero }).Validate());
        Assert.Contains("CommitTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Validate_CopyThresholdBelowOne_NamesTheSetting(int threshold)
    {
        var ex = Assert.Throws<ArgumentException>(() => (Valid with { CopyThreshold = threshold }).Validate());
        Assert.Contains("CopyThreshold", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(-1)]
    public void Validate_CommitsInFlightOutsideOneToSixteen_NamesTheSetting(int commitsInFlight)
    {
        var ex = Assert.Throws<ArgumentException>(() => (Valid with { CommitsInFlight = commitsInFlight }).Validate());
        Assert.Contains("CommitsInFlight", ex.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(PostgresStoreOptions.CommitsInFlight), ex.ParamName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public void Validate_CommitsInFlightAtTheBounds_IsAccepted(int commitsInFlight) =>
        (Valid with { CommitsInFlight = commitsInFlight }).Validate();

    [Fact]
    public void Validate_NegativeBodyCacheBytes_NamesTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => (Valid with { BodyCacheBytes = -1 }).Validate());
        Assert.Contains("BodyCacheBytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NonPositiveStartupTimeout_NamesTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => (Valid with { StartupTimeout = TimeSpan.FromSeconds(-1) }).Validate());
        Assert.Contains("StartupTimeout", ex.Message, StringComparison.Ordinal);
    }
}
