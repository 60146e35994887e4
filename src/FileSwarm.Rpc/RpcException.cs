namespace FileSwarm.Rpc;

/// <summary>
/// A call that ended with a non-OK status. Handlers throw it to choose the status they return;
/// clients receive it when a call fails.
/// </summary>
public sealed class RpcException : Exception
{
    public RpcException(Status status)
        : this(status, new Metadata())
    {
    }

    public RpcException(Status status, Metadata trailers)
        : this(status, trailers, null)
    {
    }

    public RpcException(Status status, Metadata trailers, Exception? innerException)
        : base(status.ToString(), innerException)
    {
        Status = status;
        Trailers = trailers;
    }

    public RpcException(StatusCode code, string detail)
        : this(new Status(code, detail))
    {
    }

    public Status Status { get; }

    public StatusCode StatusCode => Status.Code;

    /// <summary>Trailing metadata that came (or is to be sent) with the status.</summary>
    public Metadata Trailers { get; }
}
