using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace FileSwarm.Rpc.Server;

/// <summary>Options of an <see cref="RpcServer"/>. Validated when the server starts.</summary>
public sealed class RpcServerOptions
{
    /// <summary>Largest message a call may receive, in bytes; null for no limit. Default 4 MiB, as in every gRPC implementation.</summary>
    public int? MaxReceiveMessageSize { get; set; } = FileSwarm.Rpc.Internal.GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Largest message a call may send, in bytes; null (the default) for no limit.</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>Put exception types and messages into the status sent to callers. Off by default: internals stay private.</summary>
    public bool EnableDetailedErrors { get; set; }

    /// <summary>Endpoints to listen on. Port 0 picks a free port; read it back from <see cref="RpcServer.EndPoints"/>.</summary>
    public IList<IPEndPoint> EndPoints { get; } = [];

    /// <summary>When set, every endpoint serves TLS (HTTP/2 negotiated by ALPN) with this certificate instead of h2c.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Concurrent streams a client may open on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).</summary>
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>HTTP/2 flow-control window per stream; larger windows keep fast streams from stalling.</summary>
    public int InitialStreamWindowSize { get; set; } = 1024 * 1024;

    /// <summary>HTTP/2 flow-control window per connection.</summary>
    public int InitialConnectionWindowSize { get; set; } = 2 * 1024 * 1024;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (MaxReceiveMessageSize is <= 0)
        {
            throw new ArgumentException("MaxReceiveMessageSize must be positive or null.");
        }

        if (MaxSendMessageSize is <= 0)
        {
            throw new ArgumentException("MaxSendMessageSize must be positive or null.");
        }

        if (EndPoints.Count == 0)
        {
            throw new ArgumentException("An RPC server needs at least one endpoint to listen on.");
        }

        if (MaxStreamsPerConnection <= 0)
        {
            throw new ArgumentException("MaxStreamsPerConnection must be positive.");
        }

        if (InitialStreamWindowSize < 65535 || InitialConnectionWindowSize < 65535)
        {
            throw new ArgumentException("HTTP/2 window sizes must be at least 65535 bytes.");
        }
    }
}
