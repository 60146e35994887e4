using FileSwarm.Rpc.Internal;
using Microsoft.AspNetCore.Http;

namespace FileSwarm.Rpc.Server.Internal;

/// <summary>
/// The request delegate of the gRPC endpoint: checks what every call needs (POST, HTTP/2, a gRPC
/// content-type), then hands the request to the bound method, or answers UNIMPLEMENTED.
/// </summary>
internal sealed class RpcDispatcher
{
    private readonly Dictionary<string, IServerMethod> _methods = new(StringComparer.Ordinal);
    private readonly HashSet<string> _services = new(StringComparer.Ordinal);
    private readonly ServerRuntime _runtime;

    public RpcDispatcher(IEnumerable<RpcServiceBuilder> services, ServerRuntime runtime)
    {
        _runtime = runtime;
        foreach (var service in services)
        {
            if (!_services.Add(service.Descriptor.FullName))
            {
                throw new InvalidOperationException($"Service '{service.Descriptor.FullName}' is registered twice.");
            }

            foreach (var (path, method) in service.Methods)
            {
                _methods.Add(path, method);
            }
        }
    }

    public Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            return Reject(http, StatusCodes.Status405MethodNotAllowed, $"Request method '{request.Method}' is not supported.");
        }

        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            return Reject(http, StatusCodes.Status426UpgradeRequired, $"Request protocol '{request.Protocol}' is not supported.");
        }

        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            return Reject(http, StatusCodes.Status415UnsupportedMediaType, $"Content-Type '{request.ContentType}' is not supported.");
        }

        var path = request.Path.Value ?? string.Empty;
        if (_methods.TryGetValue(path, out var method))
        {
            return method.HandleAsync(http, _runtime);
        }

        var service = ServiceOf(path);
        var detail = service is not null && _services.Contains(service) ? "Method is unimplemented." : "Service is unimplemented.";
        _runtime.Logger.Unimplemented(path);
        RpcMetrics.ServerCallCompleted(path, StatusCode.Unimplemented, 0);
        return GrpcResponse.WriteEarlyErrorAsync(http, StatusCodes.Status200OK, new Status(StatusCode.Unimplemented, detail));
    }

    private Task Reject(HttpContext http, int httpStatus, string detail)
    {
        _runtime.Logger.RequestRejected(httpStatus, detail);
        return GrpcResponse.WriteEarlyErrorAsync(http, httpStatus, new Status(StatusCode.Internal, detail));
    }

    private static string? ServiceOf(string path)
    {
        // "/package.Service/Method"
        if (path.Length < 2 || path[0] != '/')
        {
            return null;
        }

        var slash = path.IndexOf('/', 1);
        return slash < 0 ? null : path[1..slash];
    }
}
