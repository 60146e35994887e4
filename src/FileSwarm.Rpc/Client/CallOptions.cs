namespace FileSwarm.Rpc.Client;

/// <summary>Per-call settings: metadata to send, a deadline (UTC) and a cancellation token.</summary>
public readonly record struct CallOptions(Metadata? Headers = null, DateTime? Deadline = null, CancellationToken CancellationToken = default)
{
    /// <summary>Options whose deadline is <paramref name="timeout"/> from now.</summary>
    public static CallOptions WithTimeout(TimeSpan timeout, CancellationToken cancellationToken = default, Metadata? headers = null) =>
        new(headers, DateTime.UtcNow + timeout, cancellationToken);
}
