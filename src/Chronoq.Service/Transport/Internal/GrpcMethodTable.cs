using System.Collections.Frozen;
using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Chronoq.Service.Transport.Internal;

/// <summary>
/// Path → handler for every method of every hosted service; filled while the host is built, then
/// frozen for lock-free lookups.
/// </summary>
internal sealed class GrpcMethodTable
{
    private readonly Dictionary<string, CallHandler> _building = new(StringComparer.Ordinal);
    private readonly List<ServiceDescriptor> _services = [];
    private FrozenDictionary<string, CallHandler>? _frozen;

    public IReadOnlyList<ServiceDescriptor> Services => _services;

    public bool Contains(ServiceDescriptor service) => _services.Exists(s => s.FullName == service.FullName);

    public void Add(ServiceDescriptor service, IReadOnlyDictionary<string, CallHandler> handlers, GrpcCallSettings settings)
    {
        if (_frozen is not null)
        {
            throw new InvalidOperationException("Services must be added before the server starts.");
        }

        if (Contains(service))
        {
            throw new InvalidOperationException($"Service '{service.FullName}' is registered twice.");
        }

        _services.Add(service);
        foreach (var method in service.Methods)
        {
            var path = GrpcServiceBuilder.PathOf(method);
            _building[path] = handlers.TryGetValue(method.Name, out var handler)
                ? handler
                : new UnimplementedCallHandler(path, settings, $"Method '{path}' is unimplemented.");
        }
    }

    public void Freeze() => _frozen ??= _building.ToFrozenDictionary(StringComparer.Ordinal);

    public bool TryGet(string path, out CallHandler? handler)
    {
        var table = _frozen ?? throw new InvalidOperationException("The method table is not frozen yet.");
        return table.TryGetValue(path, out handler);
    }
}
