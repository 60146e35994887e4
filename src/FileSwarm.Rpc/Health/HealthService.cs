using System.Collections.Concurrent;
using FileSwarm.Rpc.Server;

namespace FileSwarm.Rpc.Health;

/// <summary>
/// The standard <c>grpc.health.v1.Health/Check</c> (grpc/grpc doc/health-checking.md). The empty
/// service name stands for the whole server and is SERVING from the start.
/// </summary>
public sealed class HealthService
{
    private readonly ConcurrentDictionary<string, HealthCheckResponse.Types.ServingStatus> _statuses = new(StringComparer.Ordinal)
    {
        [string.Empty] = HealthCheckResponse.Types.ServingStatus.Serving,
    };

    public void SetStatus(string service, HealthCheckResponse.Types.ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        _statuses[service] = status;
    }

    internal RpcServiceBuilder Bind() =>
        new RpcServiceBuilder(HealthReflection.Descriptor.Services[0])
            .Unary<HealthCheckRequest, HealthCheckResponse>("Check", CheckAsync);

    private Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context) =>
        _statuses.TryGetValue(request.Service, out var status)
            ? Task.FromResult(new HealthCheckResponse { Status = status })
            : throw new RpcException(StatusCode.NotFound, $"Unknown service '{request.Service}'.");
}
