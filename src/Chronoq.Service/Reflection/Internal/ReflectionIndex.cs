using Chronoq.Protocol.Grpc;
using Chronoq.Service.Transport.Internal;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Reflection.V1;

namespace Chronoq.Service.Reflection.Internal;

/// <summary>
/// What reflection can describe: every hosted service's file and its imports, indexed by file
/// name and by fully-qualified symbol. Built on first use, after the method table is frozen.
/// </summary>
internal sealed class ReflectionIndex(GrpcMethodTable table)
{
    private readonly Lazy<Index> _index = new(() => Index.Build(table.Services));

    /// <summary>Answers one request; <paramref name="sentFiles"/> is the stream's record of files already sent.</summary>
    public ServerReflectionResponse Answer(ServerReflectionRequest request, HashSet<string> sentFiles)
    {
        var index = _index.Value;
        var response = new ServerReflectionResponse { ValidHost = request.Host, OriginalRequest = request };
        switch (request.MessageRequestCase)
        {
            case ServerReflectionRequest.MessageRequestOneofCase.ListServices:
                var list = new ListServiceResponse();
                foreach (var name in index.ServiceNames)
                {
                    list.Service.Add(new ServiceResponse { Name = name });
                }

                response.ListServicesResponse = list;
                break;

            case ServerReflectionRequest.MessageRequestOneofCase.FileByFilename:
                if (index.Files.TryGetValue(request.FileByFilename, out var file))
                {
                    response.FileDescriptorResponse = WithDependencies(file, sentFiles);
                }
                else
                {
                    response.ErrorResponse = NotFound($"File '{request.FileByFilename}' not found.");
                }

                break;

            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingSymbol:
                if (index.Symbols.TryGetValue(request.FileContainingSymbol, out var owner))
                {
                    response.FileDescriptorResponse = WithDependencies(owner, sentFiles);
                }
                else
                {
                    response.ErrorResponse = NotFound($"Symbol '{request.FileContainingSymbol}' not found.");
                }

                break;

            case ServerReflectionRequest.MessageRequestOneofCase.AllExtensionNumbersOfType:
                // proto3 files declare no extensions: a known message has none, an unknown one is NOT_FOUND.
                if (index.Messages.Contains(request.AllExtensionNumbersOfType))
                {
                    response.AllExtensionNumbersResponse = new ExtensionNumberResponse { BaseTypeName = request.AllExtensionNumbersOfType };
                }
                else
                {
                    response.ErrorResponse = NotFound($"Type '{request.AllExtensionNumbersOfType}' not found.");
                }

                break;

            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingExtension:
                response.ErrorResponse = NotFound($"Extension {request.FileContainingExtension.ExtensionNumber} of '{request.FileContainingExtension.ContainingType}' not found.");
                break;

            default:
                response.ErrorResponse = new ErrorResponse { ErrorCode = (int)StatusCode.InvalidArgument, ErrorMessage = "The request names no reflection query." };
                break;
        }

        return response;
    }

    // The requested file always, then its transitive imports not yet sent on this stream, as the
    // reflection protocol lets the client assemble a complete descriptor set.
    private static FileDescriptorResponse WithDependencies(FileDescriptor root, HashSet<string> sentFiles)
    {
        var result = new FileDescriptorResponse();
        var queue = new Queue<FileDescriptor>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.Name };
        queue.Enqueue(root);
        while (queue.TryDequeue(out var file))
        {
            if (file == root || sentFiles.Add(file.Name))
            {
                sentFiles.Add(file.Name);
                result.FileDescriptorProto.Add(file.SerializedData);
            }

            foreach (var dependency in file.Dependencies)
            {
                if (seen.Add(dependency.Name))
                {
                    queue.Enqueue(dependency);
                }
            }
        }

        return result;
    }

    private static ErrorResponse NotFound(string message) => new() { ErrorCode = (int)StatusCode.NotFound, ErrorMessage = message };

    private sealed class Index
    {
        public List<string> ServiceNames { get; } = [];

        public Dictionary<string, FileDescriptor> Files { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, FileDescriptor> Symbols { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Messages { get; } = new(StringComparer.Ordinal);

        public static Index Build(IReadOnlyList<ServiceDescriptor> services)
        {
            var index = new Index();
            foreach (var service in services)
            {
                index.ServiceNames.Add(service.FullName);
                index.AddFile(service.File);
            }

            return index;
        }

        private void AddFile(FileDescriptor file)
        {
            if (!Files.TryAdd(file.Name, file))
            {
                return;
            }

            foreach (var service in file.Services)
            {
                Symbols[service.FullName] = file;
                foreach (var method in service.Methods)
                {
                    Symbols[method.FullName] = file;
                }
            }

            foreach (var message in file.MessageTypes)
            {
                AddMessage(file, message);
            }

            foreach (var enumType in file.EnumTypes)
            {
                AddEnum(file, enumType);
            }

            foreach (var dependency in file.Dependencies)
            {
                AddFile(dependency);
            }
        }

        private void AddMessage(FileDescriptor file, MessageDescriptor message)
        {
            Symbols[message.FullName] = file;
            Messages.Add(message.FullName);
            foreach (var field in message.Fields.InDeclarationOrder())
            {
                Symbols[field.FullName] = file;
            }

            foreach (var nested in message.NestedTypes)
            {
                AddMessage(file, nested);
            }

            foreach (var nested in message.EnumTypes)
            {
                AddEnum(file, nested);
            }
        }

        private void AddEnum(FileDescriptor file, EnumDescriptor enumType)
        {
            Symbols[enumType.FullName] = file;
            foreach (var value in enumType.Values)
            {
                Symbols[value.FullName] = file;
            }
        }
    }
}
