using System.Net.Security;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Rpc.Client;

/// <summary>Options of an <see cref="RpcChannel"/>.</summary>
public sealed class RpcChannelOptions
{
    /// <summary>Largest message a call may receive, in bytes; null for no limit. Default 4 MiB.</summary>
    public int? MaxReceiveMessageSize { get; set; } = FileSwarm.Rpc.Internal.GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Largest message a call may send, in bytes; null (the default) for no limit.</summary>
    public int? MaxSendMessageSize { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Send HTTP/2 PINGs after this much inactivity; null (the default) sends none.</summary>
    public TimeSpan? KeepAlivePingDelay { get; set; }

    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Ping only while calls are active (servers such as etcd punish idle pings), or always.</summary>
    public HttpKeepAlivePingPolicy KeepAlivePingPolicy { get; set; } = HttpKeepAlivePingPolicy.WithActiveRequests;

    /// <summary>HTTP/2 stream window the client advertises; larger keeps fast streams from stalling.</summary>
    public int InitialHttp2StreamWindowSize { get; set; } = 1024 * 1024;

    /// <summary>For TLS: checks the server's certificate; null uses the system's validation.</summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; set; }

    public ILoggerFactory? LoggerFactory { get; set; }

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
