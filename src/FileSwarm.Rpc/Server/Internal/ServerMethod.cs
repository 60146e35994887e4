using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace FileSwarm.Rpc.Server.Internal;

/// <summary>A handler bound to a method: runs the call in the shape the method has.</summary>
internal sealed class ServerMethod<TRequest, TResponse> : IServerMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly Method<TRequest, TResponse> _method;
    private readonly RpcServiceBuilder _service;
    private readonly UnaryServerMethod<TRequest, TResponse>? _unary;
    private readonly ServerStreamingServerMethod<TRequest, TResponse>? _serverStreaming;
    private readonly ClientStreamingServerMethod<TRequest, TResponse>? _clientStreaming;
    private readonly DuplexStreamingServerMethod<TRequest, TResponse>? _duplex;

    public ServerMethod(
        Method<TRequest, TResponse> method,
        RpcServiceBuilder service,
        UnaryServerMethod<TRequest, TResponse>? unary = null,
        ServerStreamingServerMethod<TRequest, TResponse>? serverStreaming = null,
        ClientStreamingServerMethod<TRequest, TResponse>? clientStreaming = null,
        DuplexStreamingServerMethod<TRequest, TResponse>? duplex = null)
    {
        _method = method;
        _service = service;
        _unary = unary;
        _serverStreaming = serverStreaming;
        _clientStreaming = clientStreaming;
        _duplex = duplex;
    }

    public string FullName => _method.FullName;

    public async Task HandleAsync(HttpContext http, ServerRuntime runtime)
    {
        var maxReceive = _service.OverridesMaxReceiveMessageSize ? _service.MaxReceiveMessageSize : runtime.Options.MaxReceiveMessageSize;
        var call = new ServerCall<TRequest, TResponse>(http, _method, runtime, maxReceive);
        await using (call)
        {
            try
            {
                if (!await call.StartAsync())
                {
                    return;
                }

                switch (_method.Type)
                {
                    case MethodType.Unary:
                        var response = await _unary!(await call.ReadSingleMessageAsync(), call.Context)
                            ?? throw new InvalidOperationException("The handler returned no response message.");
                        await WriteAndReleaseAsync(call, response);
                        break;
                    case MethodType.ServerStreaming:
                        await _serverStreaming!(await call.ReadSingleMessageAsync(), call, call.Context);
                        break;
                    case MethodType.ClientStreaming:
                        var aggregate = await _clientStreaming!(call, call.Context)
                            ?? throw new InvalidOperationException("The handler returned no response message.");
                        await WriteAndReleaseAsync(call, aggregate);
                        break;
                    default:
                        await _duplex!(call, call, call.Context);
                        break;
                }

                await call.CompleteAsync();
            }
            catch (Exception ex)
            {
                await call.FailAsync(ex);
            }
        }
    }

    /// <summary>
    /// Writes a handler's single response; one that is <see cref="IDisposable"/> (e.g. holding a pooled buffer) is
    /// disposed once its bytes are in the response body, or the write failed.
    /// </summary>
    private static async Task WriteAndReleaseAsync(ServerCall<TRequest, TResponse> call, TResponse response)
    {
        try
        {
            await call.WriteMessageAsync(response, flush: false);
        }
        finally
        {
            (response as IDisposable)?.Dispose();
        }
    }
}
