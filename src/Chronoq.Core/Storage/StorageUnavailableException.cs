namespace Chronoq.Core.Storage;

/// <summary>The store could not make a batch durable (database down, disk full, commit failed).
/// Callers in the batch get UNAVAILABLE; the batch was not applied.</summary>
public sealed class StorageUnavailableException : Exception
{
    /// <summary>Creates the exception with a message for operators and the underlying cause.</summary>
    public StorageUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
