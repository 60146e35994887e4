using FileSwarm.Rpc;
using FileSwarm.Rpc.Client;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Etcd;

/// <summary>
/// A client of etcd's v3 gRPC API: KV (<see cref="RangeAsync"/>, puts, deletes, transactions), leases (grant, revoke,
/// time-to-live, and <see cref="EtcdLease"/> for keep-alive), and watches (<see cref="EtcdWatcher"/>). It holds one
/// channel per endpoint and talks to one at a time; a call that meets UNAVAILABLE moves on to the next endpoint and is
/// tried there, so that one dead member does not fail a call while another is up. Thread-safe; meant to live long.
/// </summary>
/// <remarks>
/// Retrying on UNAVAILABLE may apply a write twice when the connection broke after etcd applied it. Every write
/// FileSwarm makes is idempotent (puts of whole values, deletes, compare-and-put), so that is harmless here.
/// </remarks>
public sealed partial class EtcdClient : IDisposable
{
    private readonly RpcChannel[] _channels;
    private int _current;

    public EtcdClient(EtcdClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("FileSwarm.Etcd");
        _channels = options.Endpoints.Select(endpoint => new RpcChannel(endpoint, new RpcChannelOptions
        {
            ConnectTimeout = options.DialTimeout,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            MaxSendMessageSize = options.MaxRequestBytes,
            MaxReceiveMessageSize = options.MaxReceiveBytes,
            LoggerFactory = options.LoggerFactory,
            TimeProvider = options.TimeProvider,
        })).ToArray();
    }

    public EtcdClientOptions Options { get; }

    public EtcdMetrics Metrics { get; } = new();

    /// <summary>The endpoints, for messages: <c>http://a:2379,http://b:2379</c>.</summary>
    public string Description => string.Join(',', Options.Endpoints.Select(e => e.GetLeftPart(UriPartial.Authority)));

    /// <summary>The endpoint calls currently go to.</summary>
    public Uri CurrentEndpoint => _channels[Volatile.Read(ref _current)].Address;

    internal ILogger Logger { get; }

    internal TimeProvider Time => Options.TimeProvider;

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    /// <summary>
    /// One unary call with the request deadline, moving to the next endpoint on UNAVAILABLE until each has been tried
    /// once. Failures become <see cref="EtcdException"/>; cancellation stays <see cref="OperationCanceledException"/>.
    /// </summary>
    internal async Task<TResponse> CallAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, EtcdOperation operation, TRequest request, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        Metrics.Count(operation);
        RpcException? last = null;
        for (var attempt = 0; attempt < _channels.Length; attempt++)
        {
            var index = Volatile.Read(ref _current);
            try
            {
                return await _channels[index].UnaryAsync(method, request, CallOptions.WithTimeout(Options.RequestTimeout, cancellationToken));
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && !cancellationToken.IsCancellationRequested)
            {
                last = e;
                Rotate(index, e.Status.Detail);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            catch (RpcException e)
            {
                throw Translate(e, method.Name);
            }
        }

        throw Translate(last!, method.Name);
    }

    /// <summary>Opens a bidirectional stream on the current endpoint; it lives until cancelled or broken.</summary>
    internal (AsyncDuplexStreamingCall<TRequest, TResponse> Call, int Endpoint) OpenStream<TRequest, TResponse>(Method<TRequest, TResponse> method, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var index = Volatile.Read(ref _current);
        return (_channels[index].DuplexStreamingCall(method, new CallOptions(CancellationToken: cancellationToken)), index);
    }

    /// <summary>Moves calls off endpoint <paramref name="failed"/> (once, however many callers saw it fail).</summary>
    internal void Rotate(int failed, string detail)
    {
        if (_channels.Length == 1)
        {
            return;
        }

        var next = (failed + 1) % _channels.Length;
        if (Interlocked.CompareExchange(ref _current, next, failed) == failed)
        {
            Metrics.Count(EtcdOperation.Failover);
            Logger.FailingOver(_channels[failed].Address, detail, _channels[next].Address);
        }
    }

    internal EtcdException Translate(RpcException e, string what)
    {
        var detail = string.IsNullOrEmpty(e.Status.Detail) ? e.StatusCode.ToString() : e.Status.Detail;
        var message = e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
            ? $"etcd at {Description} cannot be reached ({detail})"
            : $"etcd {what} failed: {e.StatusCode}: {detail}";
        return new EtcdException(e.StatusCode, message, e);
    }

    /// <summary>The wait before attempt <paramref name="failures"/> + 1 to reopen a stream: doubling, capped, with jitter.</summary>
    public TimeSpan RetryDelay(int failures)
    {
        var max = Options.MaxRetryDelay.TotalMilliseconds;
        var delay = Math.Min(max, Options.MinRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 16)));
        return TimeSpan.FromMilliseconds(delay * (0.75 + (Random.Shared.NextDouble() * 0.5)));
    }
}
