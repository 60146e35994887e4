using FileSwarm.Etcd.Tests.Infrastructure;

namespace FileSwarm.Etcd.Tests;

/// <summary>
/// etcd enforces gRPC keep-alive: a client that pings more often than every 5 s (MinTime), or at all without a call
/// open, gets GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and loses every stream on the connection. Watches and lease
/// keep-alives are exactly the long, quiet streams that make a pinging client look abusive.
/// </summary>
[Collection(EtcdClientCollection.Name)]
public sealed class PingPolicyTests(EtcdServer etcd)
{
    private static readonly TimeSpan Hold = (2 * EtcdClientOptions.EtcdPingMinTime) + TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Quiet_watch_and_keep_alive_streams_stay_open_with_the_default_ping_settings()
    {
        using var client = etcd.CreateClient(o => o.KeepAlivePingDelay = new EtcdClientOptions { Endpoints = [etcd.Endpoint] }.KeepAlivePingDelay);
        var prefix = EtcdServer.NewPrefix();
        var mirror = new RecordingMirror();
        await using var watcher = EtcdWatcher.Start(client, prefix, mirror.ApplyAsync);
        await using var lease = await EtcdLease.GrantAsync(client, TimeSpan.FromSeconds(60));
        await watcher.WaitSyncedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var opened = DateTime.UtcNow;

        // Nothing happens on either stream for longer than twice etcd's MinTime (renewals come every 20 s).
        await Eventually.TrueAsync(() => DateTime.UtcNow - opened > Hold || watcher.Reconnects > 0, Hold + TimeSpan.FromSeconds(5), () => "");
        var revision = await client.PutAsync(prefix + "still-alive", "yes", lease.Id);

        await Eventually.TrueAsync(() => watcher.Revision >= revision, TimeSpan.FromSeconds(5), () => "the watch stream did not deliver");
        Assert.Equal(0, watcher.Reconnects);
        Assert.Equal(0, client.Metrics.Get(EtcdOperation.StreamReconnect));
        Assert.Equal(1, client.Metrics.Get(EtcdOperation.WatchCreate));
        Assert.True(watcher.IsSynced);
        Assert.NotNull((await client.LeaseTimeToLiveAsync(lease.Id)).Remaining);
    }

    [Fact]
    public async Task Pinging_every_second_gets_a_goaway_which_the_watch_survives()
    {
        // The control experiment: proves that the test above would see a GOAWAY, and that a watch recovers from one.
        using var client = etcd.CreateClient(o =>
        {
            o.AllowAnyPingDelay = true;
            o.KeepAlivePingDelay = TimeSpan.FromSeconds(1);
        });
        var prefix = EtcdServer.NewPrefix();
        var mirror = new RecordingMirror();
        await using var watcher = EtcdWatcher.Start(client, prefix, mirror.ApplyAsync);
        await watcher.WaitSyncedAsync().WaitAsync(TimeSpan.FromSeconds(10));

        await Eventually.TrueAsync(() => watcher.Reconnects > 0, TimeSpan.FromSeconds(20), () => "etcd did not send GOAWAY to a client pinging every second");
        await Eventually.TrueAsync(() => watcher.IsSynced, TimeSpan.FromSeconds(10), () => watcher.LastError ?? "");
        var revision = await client.PutAsync(prefix + "after-goaway", "yes");
        await Eventually.TrueAsync(() => mirror.Keys.ContainsKey(prefix + "after-goaway") || watcher.Revision >= revision, TimeSpan.FromSeconds(10), () => "no event after the reconnect");
    }
}
