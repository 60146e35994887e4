using FileSwarm.Etcd.Tests.Infrastructure;

namespace FileSwarm.Etcd.Tests;

[Collection(EtcdClientCollection.Name)]
public sealed class LeaseTests(EtcdServer etcd) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly EtcdClient _client = etcd.CreateClient();
    private readonly string _prefix = EtcdServer.NewPrefix();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_granted_lease_carries_keys_and_reports_its_ttl()
    {
        var (id, ttl) = await _client.GrantLeaseAsync(TimeSpan.FromSeconds(30));
        await _client.PutAsync(_prefix + "a", "1", id);
        await _client.PutAsync(_prefix + "b", "2", id);

        var (remaining, granted, keys) = await _client.LeaseTimeToLiveAsync(id, keys: true);
        await _client.RevokeLeaseAsync(id);

        Assert.Equal(TimeSpan.FromSeconds(30), ttl);
        Assert.Equal(TimeSpan.FromSeconds(30), granted);
        Assert.InRange(remaining!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.Equal([_prefix + "a", _prefix + "b"], keys.Order(StringComparer.Ordinal).ToList());
        Assert.Equal(0, await _client.CountPrefixAsync(_prefix));
        Assert.Null((await _client.LeaseTimeToLiveAsync(id)).Remaining);
        await _client.RevokeLeaseAsync(id);
    }

    [Fact]
    public async Task A_kept_lease_outlives_its_ttl_and_its_keys_vanish_once_renewal_stops()
    {
        var lease = await EtcdLease.GrantAsync(_client, TimeSpan.FromSeconds(2));
        await _client.PutAsync(_prefix + "kept", "alive", lease.Id);
        var start = DateTime.UtcNow;

        // Renewal every TTL/3: after three TTLs the key must still be there.
        await Eventually.TrueAsync(() => lease.Renewals >= 9 && DateTime.UtcNow - start > TimeSpan.FromSeconds(6), Wait, () => $"{lease.Renewals} renewals");
        Assert.NotNull(await _client.GetAsync(_prefix + "kept"));
        Assert.Equal(0, lease.Regrants);
        Assert.InRange((await _client.LeaseTimeToLiveAsync(lease.Id)).Remaining!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        // A keeper that stops without revoking (as a killed process does) leaves the lease to expire.
        var (orphan, _) = await _client.GrantLeaseAsync(TimeSpan.FromSeconds(2));
        await _client.PutAsync(_prefix + "orphan", "x", orphan);
        await Eventually.TrueAsync(async () => await _client.GetAsync(_prefix + "orphan") is null, TimeSpan.FromSeconds(5), () => "the orphan key is still there");

        await lease.DisposeAsync();
        Assert.Null(await _client.GetAsync(_prefix + "kept"));
    }

    [Fact]
    public async Task A_lost_lease_is_granted_again_and_its_keys_restored()
    {
        var restored = new List<long>();
        var lease = await EtcdLease.GrantAsync(_client, TimeSpan.FromSeconds(3), async (id, ct) =>
        {
            await _client.PutAsync(_prefix + "registration", "me", id, ct);
            lock (restored)
            {
                restored.Add(id);
            }
        });
        await using var _ = lease;
        var first = lease.Id;
        await _client.PutAsync(_prefix + "registration", "me", first);

        // Someone (an operator, a partition longer than the TTL) revokes it: etcd answers the next renewal with TTL 0.
        await _client.RevokeLeaseAsync(first);

        await Eventually.TrueAsync(async () => (await _client.GetAsync(_prefix + "registration"))?.Lease is { } id && id != 0 && id != first, Wait, () => "the key was not written again under a new lease");
        await Eventually.TrueAsync(() => { lock (restored) { return restored.Count > 0; } }, Wait, () => "the restore callback did not finish");
        Assert.Equal(1, lease.Regrants);
        lock (restored)
        {
            Assert.Equal([lease.Id], restored);
        }
        Assert.NotEqual(first, lease.Id);
    }
}
