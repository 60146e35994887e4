using FileSwarm.Rpc.Health;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;
using ServingStatus = FileSwarm.Rpc.Health.HealthCheckResponse.Types.ServingStatus;

namespace FileSwarm.Rpc.Tests.Functional;

public sealed class HealthTests
{
    private static readonly Method<HealthCheckRequest, HealthCheckResponse> Check =
        Method.Create<HealthCheckRequest, HealthCheckResponse>(HealthReflection.Descriptor.Services[0], "Check");

    [Fact]
    public async Task The_health_service_answers_for_the_server_unknown_services_and_set_statuses()
    {
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", (_, _) => Task.FromResult(new Payload())));
        var channel = server.CreateChannel();
        Assert.Equal("/grpc.health.v1.Health/Check", Check.FullName);

        Assert.Equal(ServingStatus.Serving, (await channel.UnaryAsync(Check, new HealthCheckRequest())).Status);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(Check, new HealthCheckRequest { Service = "no.such.Service" }));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);

        server.Server.Health.SetStatus("fileswarm.rpc.test.Probe", ServingStatus.NotServing);
        Assert.Equal(ServingStatus.NotServing, (await channel.UnaryAsync(Check, new HealthCheckRequest { Service = "fileswarm.rpc.test.Probe" })).Status);

        server.Server.Health.SetStatus("fileswarm.rpc.test.Probe", ServingStatus.Serving);
        Assert.Equal(ServingStatus.Serving, (await channel.UnaryAsync(Check, new HealthCheckRequest { Service = "fileswarm.rpc.test.Probe" })).Status);

        server.Server.Health.SetStatus(string.Empty, ServingStatus.NotServing);
        Assert.Equal(ServingStatus.NotServing, (await channel.UnaryAsync(Check, new HealthCheckRequest())).Status);
    }
}
