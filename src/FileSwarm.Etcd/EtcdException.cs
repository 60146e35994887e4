using FileSwarm.Rpc;

namespace FileSwarm.Etcd;

/// <summary>
/// An etcd call that failed, with etcd's gRPC status. <see cref="IsUnavailable"/> covers every way of not reaching a
/// working member (no connection, no leader, deadline), so callers can say "etcd cannot be reached".
/// </summary>
public sealed class EtcdException : Exception
{
    public EtcdException(StatusCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = code;
    }

    public EtcdException()
        : this(StatusCode.Unknown, "etcd call failed")
    {
    }

    public EtcdException(string message)
        : this(StatusCode.Unknown, message)
    {
    }

    public EtcdException(string message, Exception innerException)
        : this(StatusCode.Unknown, message, innerException)
    {
    }

    public StatusCode StatusCode { get; }

    public bool IsUnavailable => StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded;
}
