using System.Net;

namespace FileSwarm.Rpc.Server;

/// <summary>What a handler knows of its call, and what it may add to the response.</summary>
public sealed class ServerCallContext
{
    private readonly Internal.IServerCallState _call;

    internal ServerCallContext(Internal.IServerCallState call, string method, Metadata requestHeaders, DateTime deadline, IPEndPoint? remote)
    {
        _call = call;
        Method = method;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
        RemoteEndPoint = remote;
    }

    /// <summary>The method's path, <c>/package.Service/Method</c>.</summary>
    public string Method { get; }

    /// <summary>The caller's custom metadata (reserved and transport headers left out).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>Metadata sent with the status at the end of the call.</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>When the caller stops waiting (UTC); <see cref="DateTime.MaxValue"/> without a deadline.</summary>
    public DateTime Deadline { get; }

    /// <summary>The caller's address as the connection shows it.</summary>
    public IPEndPoint? RemoteEndPoint { get; }

    /// <summary>Signalled when the caller cancels, disconnects, or the deadline passes.</summary>
    public CancellationToken CancellationToken => _call.CancellationToken;

    /// <summary>The status the call ends with when the handler returns normally; OK unless set.</summary>
    public Status Status { get; set; } = Status.Ok;

    /// <summary>Sends the response headers now, with this metadata. At most once, before the first message.</summary>
    public Task WriteResponseHeadersAsync(Metadata headers) => _call.WriteResponseHeadersAsync(headers);
}
