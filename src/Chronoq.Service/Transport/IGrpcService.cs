using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Chronoq.Service.Transport;

/// <summary>
/// A gRPC service the server hosts. Register one with
/// <see cref="GrpcServiceCollectionExtensions.AddGrpcService{TService}"/>; it is resolved from the
/// container (constructor injection works) when the host is built, and its
/// <see cref="Register"/> maps handlers. Methods of <see cref="Descriptor"/> left without a
/// handler answer UNIMPLEMENTED.
/// </summary>
public interface IGrpcService
{
    /// <summary>The service as the .proto describes it, e.g. <c>ChronoqReflection.Descriptor.Services[0]</c>.</summary>
    ServiceDescriptor Descriptor { get; }

    /// <summary>Maps the handlers of the service's methods.</summary>
    void Register(GrpcServiceBuilder builder);
}
