using Microsoft.Extensions.Logging;

namespace FileSwarm.Etcd;

/// <summary>
/// Settings of an <see cref="EtcdClient"/>. The defaults suit etcd 3.4/3.5 as shipped; <see cref="Validate"/> runs
/// when a client is built and names the offending setting.
/// </summary>
public sealed record EtcdClientOptions
{
    /// <summary>etcd's own receive limit (<c>--max-request-bytes</c> default, 1.5 MiB).</summary>
    public const int EtcdMaxRequestBytes = 3 * 512 * 1024;

    /// <summary>etcd's limit of operations in one transaction (<c>--max-txn-ops</c> default).</summary>
    public const int EtcdMaxTxnOps = 128;

    /// <summary>etcd's keep-alive enforcement: a client that pings more often than this gets a GOAWAY.</summary>
    public static readonly TimeSpan EtcdPingMinTime = TimeSpan.FromSeconds(5);

    /// <summary>The members to talk to, tried in turn: the next one when the current one is UNAVAILABLE.</summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>Deadline of one unary call (range, put, txn, lease grant...). Default 5 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>TCP connect timeout per endpoint. Default 3 s.</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// HTTP/2 PING after this much silence while a call (a watch, a keep-alive stream) is open; never without calls.
    /// At least 10 s, twice etcd's enforced minimum of 5 s, so that timer jitter can never earn a GOAWAY. Default 10 s:
    /// a dead member is noticed within <see cref="KeepAlivePingDelay"/> + <see cref="KeepAlivePingTimeout"/>.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A ping not answered within this time fails the connection (and every call on it). Default 5 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest request sent; batched writes are cut under it. Default and maximum: etcd's 1.5 MiB.</summary>
    public int MaxRequestBytes { get; init; } = EtcdMaxRequestBytes;

    /// <summary>Operations per transaction in batched writes. Default and maximum: etcd's 128.</summary>
    public int MaxTxnOps { get; init; } = EtcdMaxTxnOps;

    /// <summary>Largest response accepted. Ranges are paged, so this only bounds one page or one watch batch. Default 16 MiB.</summary>
    public int MaxReceiveBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Keys per page when a prefix is listed. Default 500.</summary>
    public int RangePageSize { get; init; } = 500;

    /// <summary>First wait before a broken stream is opened again; doubles up to <see cref="MaxRetryDelay"/>. Default 100 ms.</summary>
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between two attempts to reopen a stream. Default 2 s.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Lets tests ping faster than etcd allows, to prove that the GOAWAY is noticed.</summary>
    internal bool AllowAnyPingDelay { get; init; }

    /// <summary>
    /// Endpoints from the command line: <c>URL[,URL]</c>, each <c>http://host:port</c>, <c>https://host:port</c> or a
    /// bare <c>host:port</c> (plain h2c, as etcd serves on its client port).
    /// </summary>
    public static IReadOnlyList<Uri> ParseEndpoints(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var endpoints = new List<Uri>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var withScheme = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                || string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query))
            {
                throw new ArgumentException($"--etcd {part}: use http://HOST:PORT (several separated by commas)");
            }

            endpoints.Add(uri);
        }

        return endpoints.Count > 0 ? endpoints : throw new ArgumentException("--etcd: give at least one endpoint, e.g. http://127.0.0.1:2379");
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Endpoints is null || Endpoints.Count == 0)
        {
            throw new ArgumentException("etcd: at least one endpoint is needed");
        }

        foreach (var endpoint in Endpoints)
        {
            if (endpoint.Scheme is not ("http" or "https") || string.IsNullOrEmpty(endpoint.Host))
            {
                throw new ArgumentException($"etcd endpoint {endpoint}: use http://HOST:PORT");
            }
        }

        if (RequestTimeout <= TimeSpan.Zero || DialTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("etcd: RequestTimeout and DialTimeout must be positive");
        }

        if (!AllowAnyPingDelay && KeepAlivePingDelay < 2 * EtcdPingMinTime)
        {
            throw new ArgumentException(
                $"etcd: KeepAlivePingDelay {KeepAlivePingDelay.TotalSeconds} s is too short; etcd sends GOAWAY to clients pinging more often than every {EtcdPingMinTime.TotalSeconds} s, so use at least {2 * EtcdPingMinTime.TotalSeconds} s");
        }

        if (KeepAlivePingTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("etcd: KeepAlivePingTimeout must be positive");
        }

        if (MaxRequestBytes is < 4096 or > EtcdMaxRequestBytes)
        {
            throw new ArgumentException($"etcd: MaxRequestBytes must be between 4096 and etcd's {EtcdMaxRequestBytes}, not {MaxRequestBytes}");
        }

        if (MaxTxnOps is < 1 or > EtcdMaxTxnOps)
        {
            throw new ArgumentException($"etcd: MaxTxnOps must be between 1 and etcd's {EtcdMaxTxnOps}, not {MaxTxnOps}");
        }

        if (MaxReceiveBytes < 64 * 1024 || RangePageSize < 1)
        {
            throw new ArgumentException("etcd: MaxReceiveBytes must be at least 64 KiB and RangePageSize at least 1");
        }

        if (MinRetryDelay <= TimeSpan.Zero || MaxRetryDelay < MinRetryDelay)
        {
            throw new ArgumentException("etcd: MinRetryDelay must be positive and at most MaxRetryDelay");
        }
    }
}
