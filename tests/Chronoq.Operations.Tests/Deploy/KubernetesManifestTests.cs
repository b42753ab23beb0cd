using System.Globalization;
using Chronoq.Protocol.V1;
using Chronoq.Service.Health;
using Chronoq.Service.Telemetry;
using YamlDotNet.RepresentationModel;

namespace Chronoq.Operations.Tests.Deploy;

/// <summary>deploy/k8s against what the server reads: keys, ports, probes, the secret, the security context.</summary>
public sealed class KubernetesManifestTests
{
    private static readonly YamlMappingNode ConfigMap = Single("deploy/k8s/configmap.yaml", "ConfigMap");
    private static readonly YamlMappingNode Deployment = Single("deploy/k8s/deployment.yaml", "Deployment");
    private static readonly YamlMappingNode Service = Single("deploy/k8s/service.yaml", "Service");
    private static readonly YamlMappingNode Budget = Single("deploy/k8s/pdb.yaml", "PodDisruptionBudget");
    private static readonly YamlMappingNode Secret = Single("deploy/k8s/secret.example.yaml", "Secret");

    private static YamlNode Container => Deployment.At("spec", "template", "spec", "containers").Items().Single();

    private static IReadOnlyDictionary<string, string> ConfigData => ConfigMap.At("data").Strings();

    public static TheoryData<string> Manifests() => new(Directory.GetFiles(RepositoryFiles.PathOf("deploy/k8s"), "*.yaml").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Manifest_Parses_HasApiVersionKindAndName(string file)
    {
        var documents = YamlFile.Load("deploy/k8s/" + file);
        Assert.NotEmpty(documents);
        foreach (var document in documents)
        {
            Assert.False(string.IsNullOrEmpty(document.At("apiVersion").Text()));
            Assert.False(string.IsNullOrEmpty(document.At("kind").Text()));
            Assert.Equal("chronoq", document.At("metadata", "name").Text().Split('-')[0]);
        }
    }

    [Fact]
    public void ConfigMap_Keys_AreSettingsTheServerReads()
    {
        foreach (var key in ConfigData.Keys)
        {
            Assert.True(ServiceSettings.IsKnownVariable(key, out var why), $"ConfigMap key {key}: {why}");
        }
    }

    [Fact]
    public void ConfigMap_ListenUrls_BindAllInterfacesOnTheContainerPorts()
    {
        var ports = ContainerPorts();
        var grpcUrl = ConfigData["Chronoq__GrpcUrl"];
        var httpUrl = ConfigData["Chronoq__HttpUrl"];
        Assert.True(ServiceSettings.BindsAllInterfaces(grpcUrl), $"{grpcUrl} must listen on all interfaces inside a pod");
        Assert.True(ServiceSettings.BindsAllInterfaces(httpUrl), $"{httpUrl} must listen on all interfaces inside a pod");
        Assert.Equal(ServiceSettings.PortOf(grpcUrl), ports["grpc"]);
        Assert.Equal(ServiceSettings.PortOf(httpUrl), ports["http"]);
    }

    [Fact]
    public void Deployment_Probes_UseGrpcHealthOnTheGrpcPort()
    {
        var grpcPort = ServiceSettings.PortOf(ConfigData["Chronoq__GrpcUrl"]);
        var readiness = Container.At("readinessProbe", "grpc");
        var liveness = Container.At("livenessProbe", "grpc");
        Assert.Equal(grpcPort, readiness.At("port").Int());
        Assert.Equal(grpcPort, liveness.At("port").Int());

        // Readiness asks for the Chronoq service, which is NOT_SERVING while recovering, when
        // storage fails and during shutdown; liveness asks for the server as a whole.
        var readyService = readiness.At("service").Text();
        Assert.Equal(ChronoqReflection.Descriptor.Services[0].FullName, readyService);
        Assert.True(new HealthStatusRegistry().TryGetStatus(readyService, out _), $"health knows no service '{readyService}'");
        var liveService = liveness.Find("service")?.Text() ?? HealthStatusRegistry.OverallService;
        Assert.Equal(HealthStatusRegistry.OverallService, liveService);
    }

    [Fact]
    public void Deployment_Environment_ComesFromTheConfigMapAndTheSecret()
    {
        var configMapRef = Container.At("envFrom").Items().Select(static e => e.Find("configMapRef", "name")?.Text()).Single(static n => n is not null);
        Assert.Equal(ConfigMap.At("metadata", "name").Text(), configMapRef);

        var secretName = Secret.At("metadata", "name").Text();
        var secretKeys = Secret.At("stringData").Strings().Keys.ToHashSet();
        foreach (var variable in Container.At("env").Items())
        {
            var name = variable.At("name").Text();
            Assert.True(ServiceSettings.IsKnownVariable(name, out var why), $"env {name}: {why}");
            if (variable.Find("valueFrom", "secretKeyRef") is { } secretRef)
            {
                Assert.Equal(secretName, secretRef.At("name").Text());
                Assert.Contains(secretRef.At("key").Text(), secretKeys);
            }
        }

        var connection = Container.At("env").Items().Single(static v => v.At("name").Text() == "ConnectionStrings__Chronoq");
        Assert.NotNull(connection.Find("valueFrom", "secretKeyRef"));
    }

    [Fact]
    public void Deployment_GracePeriod_ExceedsTheServersShutdownTimeout()
    {
        var timeout = ConfigData.TryGetValue("Chronoq__ShutdownTimeout", out var text)
            ? TimeSpan.Parse(text, CultureInfo.InvariantCulture)
            : new ChronoqOperationsOptions().ShutdownTimeout;
        var grace = TimeSpan.FromSeconds(Deployment.At("spec", "template", "spec", "terminationGracePeriodSeconds").Int());
        Assert.True(grace > timeout, $"terminationGracePeriodSeconds ({grace}) must exceed Chronoq:ShutdownTimeout ({timeout}), or the pod is killed mid-drain");
    }

    [Fact]
    public void Deployment_RunsAsTheImagesNonRootUser_WithResourcesAndALockedDownContainer()
    {
        var pod = Deployment.At("spec", "template", "spec", "securityContext");
        Assert.Equal("true", pod.At("runAsNonRoot").Text());
        Assert.NotEqual(0, pod.At("runAsUser").Int());
        Assert.Equal(DockerfileTests.RuntimeUserId, pod.At("runAsUser").Int());

        var container = Container.At("securityContext");
        Assert.Equal("false", container.At("allowPrivilegeEscalation").Text());
        Assert.Equal("true", container.At("readOnlyRootFilesystem").Text());
        Assert.Contains("ALL", container.At("capabilities", "drop").Items().Select(static n => n.Text()));

        // A read-only root needs a writable /tmp for the runtime's diagnostics and temp files.
        Assert.Contains("/tmp", Container.At("volumeMounts").Items().Select(static m => m.At("mountPath").Text()));
        foreach (var kind in new[] { "requests", "limits" })
        {
            Assert.False(string.IsNullOrEmpty(Container.At("resources", kind, "cpu").Text()));
            Assert.False(string.IsNullOrEmpty(Container.At("resources", kind, "memory").Text()));
        }
    }

    [Fact]
    public void Service_TargetsTheContainerPortsAndSelectsThePods()
    {
        var ports = ContainerPorts();
        var podLabels = Deployment.At("spec", "template", "metadata", "labels").Strings();
        foreach (var (key, value) in Service.At("spec", "selector").Strings())
        {
            Assert.Equal(value, podLabels[key]);
        }

        foreach (var port in Service.At("spec", "ports").Items())
        {
            var target = port.At("targetPort").Text();
            Assert.True(ports.ContainsKey(target) || ports.ContainsValue(int.Parse(target, CultureInfo.InvariantCulture)), $"targetPort {target} is no container port");
        }

        var grpc = Service.At("spec", "ports").Items().Single(static p => p.At("name").Text() == "grpc");
        // gRPC needs HTTP/2 end to end; without the hint a proxy may speak HTTP/1.1 to the pod.
        Assert.Equal("kubernetes.io/h2c", grpc.At("appProtocol").Text());
    }

    [Fact]
    public void DisruptionBudget_SelectsThePods()
    {
        var podLabels = Deployment.At("spec", "template", "metadata", "labels").Strings();
        var selector = Budget.At("spec", "selector", "matchLabels").Strings();
        Assert.NotEmpty(selector);
        foreach (var (key, value) in selector)
        {
            Assert.Equal(value, podLabels[key]);
        }

        Assert.Equal(selector, Deployment.At("spec", "selector", "matchLabels").Strings());
    }

    private static Dictionary<string, int> ContainerPorts() =>
        Container.At("ports").Items().ToDictionary(static p => p.At("name").Text(), static p => p.At("containerPort").Int());

    private static YamlMappingNode Single(string path, string kind) =>
        YamlFile.Load(path).Single(document => document.At("kind").Text() == kind);
}
