using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Chronoq.Sdk.Internal;
using Google.Protobuf;

namespace Chronoq.Sdk;

/// <summary>
/// A topic whose job bodies are <typeparamref name="T"/> as UTF-8 JSON. Get one from
/// <see cref="ChronoqClient.Topic{T}(string, JsonTypeInfo{T})"/>; it is a thin, thread-safe view
/// over the client.
/// </summary>
/// <typeparam name="T">The body's type.</typeparam>
public sealed class ChronoqTopic<T>
{
    private readonly ChronoqClient _client;

    internal ChronoqTopic(ChronoqClient client, string name, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        PutValidation.ThrowIfInvalidTopic(name, nameof(name));
        _client = client;
        Name = name;
        TypeInfo = typeInfo;
    }

    /// <summary>The topic's name.</summary>
    public string Name { get; }

    /// <summary>How bodies are read and written.</summary>
    public JsonTypeInfo<T> TypeInfo { get; }

    /// <summary>Puts <paramref name="value"/> as a job; see <see cref="PutOptions"/>.</summary>
    public Task<PutResult> PutAsync(T value, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        // The serialized bytes are a fresh array no one else holds: the request wraps it rather
        // than copying it again.
        var body = UnsafeByteOperations.UnsafeWrap(JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo));
        return _client.PutAsync(ChronoqClient.BuildPut(Name, body, options ?? PutOptions.Default), cancellationToken);
    }

    /// <summary>Reserves jobs as they become ready; a body that is not valid JSON for <typeparamref name="T"/> throws <see cref="JsonException"/> (the job stays reserved until its TTR).</summary>
    public async IAsyncEnumerable<ReservedJob<T>> ReserveAsync(ReserveOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var handle in _client.ReserveAsync(Name, options, cancellationToken).ConfigureAwait(false))
        {
            yield return Read(handle);
        }
    }

    /// <summary>Reserves one job, waiting at most <paramref name="timeout"/>; null when none became ready in time.</summary>
    public async Task<ReservedJob<T>?> ReserveOneAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var handle = await _client.ReserveOneAsync(Name, timeout, cancellationToken).ConfigureAwait(false);
        return handle is null ? null : Read(handle);
    }

    /// <summary>Reads a job of this topic as <typeparamref name="T"/>.</summary>
    public ReservedJob<T> Read(ReservedJobHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var value = JsonSerializer.Deserialize(handle.Body.Span, TypeInfo)!;
        return new ReservedJob<T>(handle, value);
    }
}
