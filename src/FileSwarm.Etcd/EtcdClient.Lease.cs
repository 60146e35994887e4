using FileSwarm.Etcd.Internal;
using FileSwarm.Etcd.Protocol;
using FileSwarm.Rpc;

namespace FileSwarm.Etcd;

/// <summary>The Lease service's unary calls; <see cref="EtcdLease"/> keeps a lease alive over the bidirectional stream.</summary>
public sealed partial class EtcdClient
{
    /// <summary>Grants a lease of <paramref name="ttl"/> (whole seconds, at least 1); returns its id and the TTL etcd granted.</summary>
    public async Task<(long Id, TimeSpan Ttl)> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var seconds = (long)Math.Ceiling(ttl.TotalSeconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1, nameof(ttl));
        var response = await CallAsync(EtcdMethods.LeaseGrant, EtcdOperation.LeaseGrant, new LeaseGrantRequest { TTL = seconds }, cancellationToken);
        if (!string.IsNullOrEmpty(response.Error))
        {
            throw new EtcdException(StatusCode.FailedPrecondition, $"etcd did not grant a lease: {response.Error}");
        }

        return (response.ID, TimeSpan.FromSeconds(response.TTL));
    }

    /// <summary>Revokes a lease, deleting its keys at once. A lease that no longer exists is not an error.</summary>
    public async Task RevokeLeaseAsync(long id, CancellationToken cancellationToken = default)
    {
        try
        {
            await CallAsync(EtcdMethods.LeaseRevoke, EtcdOperation.LeaseRevoke, new LeaseRevokeRequest { ID = id }, cancellationToken);
        }
        catch (EtcdException e) when (e.StatusCode == StatusCode.NotFound)
        {
        }
    }

    /// <summary>The lease's remaining TTL (null when etcd does not know it) and, when asked, its keys.</summary>
    public async Task<(TimeSpan? Remaining, TimeSpan Granted, IReadOnlyList<string> Keys)> LeaseTimeToLiveAsync(long id, bool keys = false, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(EtcdMethods.LeaseTimeToLive, EtcdOperation.LeaseTimeToLive, new LeaseTimeToLiveRequest { ID = id, Keys = keys }, cancellationToken);
        var remaining = response.TTL < 0 ? (TimeSpan?)null : TimeSpan.FromSeconds(response.TTL);
        return (remaining, TimeSpan.FromSeconds(response.GrantedTTL), response.Keys.Select(k => k.ToStringUtf8()).ToList());
    }
}
