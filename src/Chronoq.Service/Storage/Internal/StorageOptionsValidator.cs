using Chronoq.Storage.Postgres;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Storage.Internal;

/// <summary>Checks the storage settings at start-up, with messages naming the setting (never its secret value).</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<ChronoqStorageOptions>
{
    /// <summary>An hour of retries means the database is not coming; fail and let the supervisor decide.</summary>
    private static readonly TimeSpan MaxStartupTimeout = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, ChronoqStorageOptions options)
    {
        if (options.StartupTimeout <= TimeSpan.Zero || options.StartupTimeout > MaxStartupTimeout)
        {
            return ValidateOptionsResult.Fail($"{ChronoqStorageOptions.SectionName}:StartupTimeout must be greater than 0 and at most 1 hour (was {options.StartupTimeout}).");
        }

        if (options.BodyCacheBytes < 0)
        {
            return ValidateOptionsResult.Fail($"{ChronoqStorageOptions.SectionName}:BodyCacheBytes must not be negative (was {options.BodyCacheBytes}); 0 keeps every body in memory.");
        }

        if (!options.IsDurable)
        {
            return ValidateOptionsResult.Success;
        }

        try
        {
            ToStoreOptions(options).Validate();
        }
        catch (ArgumentException ex)
        {
            // PostgresStoreOptions names its own properties; say which configuration key that is.
            var setting = ex.ParamName == nameof(PostgresStoreOptions.ConnectionString)
                ? ChronoqStorageOptions.ConnectionStringSetting
                : $"{ChronoqStorageOptions.SectionName}:{ex.ParamName}";
            return ValidateOptionsResult.Fail($"{setting} is not valid: {ex.Message}");
        }

        return ValidateOptionsResult.Success;
    }

    public static PostgresStoreOptions ToStoreOptions(ChronoqStorageOptions options) => new()
    {
        ConnectionString = options.ConnectionString ?? "",
        Schema = options.Schema,
        CommitTimeout = options.CommitTimeout,
        CopyThreshold = options.CopyThreshold,
        CommitsInFlight = options.CommitsInFlight,
        BodyCacheBytes = options.BodyCacheBytes,
    };
}
