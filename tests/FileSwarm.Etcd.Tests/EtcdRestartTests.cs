using System.Net;
using FileSwarm.Etcd.Protocol;
using FileSwarm.Etcd.Tests.Discovery;
using FileSwarm.Etcd.Tests.Infrastructure;
using FileSwarm.Etcd.Tests.Processes;
using FileSwarm.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FileSwarm.Etcd.Tests;

/// <summary>etcd killed (SIGKILL) and started again on the same ports and data directory, under live clients and peers.</summary>
[Collection(EtcdRestartCollection.Name)]
public sealed class EtcdRestartTests(EtcdServer etcd, ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task After_a_restart_peers_are_registered_again_and_watches_resume_without_duplicates_or_losses()
    {
        using var client = etcd.CreateClient();
        await using var harness = new DiscoveryHarness(etcd.Endpoint, TimeSpan.FromSeconds(5));
        var alice = await harness.StartAsync("alice", 9401);
        var bob = await harness.StartAsync("bob", 9402);
        var data = harness.Prefix + "data/";
        var mirror = new RecordingMirror();
        await using var watcher = EtcdWatcher.Start(client, data, mirror.ApplyAsync);
        await watcher.WaitSyncedAsync().WaitAsync(Wait);
        for (var i = 0; i < 10; i++)
        {
            await client.PutAsync($"{data}k{i:D2}", "before");
        }

        await Eventually.TrueAsync(() => mirror.Keys.Count == 10, Wait, () => $"{mirror.Keys.Count} keys before the restart");

        await etcd.RestartAsync();
        for (var i = 10; i < 20; i++)
        {
            await client.PutAsync($"{data}k{i:D2}", "after");
        }

        await Eventually.TrueAsync(() => mirror.Keys.Count == 20 && watcher.IsSynced, Wait, () => $"{mirror.Keys.Count} keys after the restart; {watcher.LastError}");
        var events = mirror.Events;
        Assert.Equal(20, events.Count);
        Assert.Equal(20, events.Select(e => e.Key).Distinct().Count());
        Assert.All(events, e => Assert.Equal(Event.Types.EventType.Put, e.Type));
        Assert.Equal(events.OrderBy(e => e.Revision).ToList(), events);
        Assert.Equal(1, mirror.Listings);
        Assert.True(watcher.Reconnects >= 1, "the watch never noticed the restart");

        // Both peers are registered (lease kept alive or granted again) and see each other from their own caches.
        await Eventually.TrueAsync(
            async () => (await client.GetPrefixAsync(harness.Prefix + "peers/")).Kvs.Count == 2
                && alice.Peers.ContainsKey("bob") && bob.Peers.ContainsKey("alice")
                && (await client.LeaseTimeToLiveAsync(alice.LeaseId)).Remaining is not null
                && (await client.LeaseTimeToLiveAsync(bob.LeaseId)).Remaining is not null,
            Wait,
            () => "the peers are not both registered after the restart");
        var page = await alice.ListAsync(10, null, null, CancellationToken.None);
        Assert.Equal(0, page.TotalCount);
    }

    [Fact]
    public async Task While_etcd_is_down_listings_fail_clearly_and_transfers_from_known_peers_go_on()
    {
        await using var cluster = new EtcdCluster(etcd, output);
        await cluster.RunAsync(async () =>
        {
            using var client = etcd.CreateClient();
            var seeder = await cluster.StartPeerAsync("seeder", 10, "--max-upload-rate", "400K");
            var leecher = await cluster.StartPeerAsync("leecher");
            var path = cluster.Cluster.CreateFile("slow.bin", 2_000_000, seed: 11);
            var infoHash = await seeder.UploadAsync(path);
            await Poll.UntilAsync(async () => (await leecher.GetJsonAsync("/files"))["count"]!.GetValue<string>() == "1", Wait, () => "the leecher to list the file");
            await leecher.StartDownloadAsync(infoHash);
            await Poll.UntilAsync(async () => (await leecher.DownloadStatusAsync(infoHash))["completed_pieces"]!.GetValue<int>() > 0, Wait, () => "the first pieces");

            await etcd.KillAsync();

            // The watch notices the closed connection within moments (a silent partition: ping delay + timeout, 15 s).
            string? message = null;
            await Poll.UntilAsync(
                async () =>
                {
                    using var listing = await leecher.GetAsync("/files");
                    message = listing.StatusCode == HttpStatusCode.ServiceUnavailable ? await listing.Content.ReadAsStringAsync() : null;
                    return message is not null;
                },
                Wait,
                () => "GET /files to answer 503 with etcd down");
            Assert.Contains($"etcd at {etcd.Endpoint.GetLeftPart(UriPartial.Authority)} cannot be reached", message, StringComparison.Ordinal);
            Assert.True((await leecher.DownloadStatusAsync(infoHash))["state"]!.GetValue<string>() != "complete", "the download ended before etcd went down: the test proves nothing");
            var status = await leecher.WaitForDownloadAsync(infoHash, Wait);
            Assert.Equal(await File.ReadAllBytesAsync(path), await File.ReadAllBytesAsync(Path.Join(leecher.DownloadsDirectory, "slow.bin")));
            Assert.Equal("complete", (string)status["state"]!);

            await etcd.StartAsync();
            await Poll.UntilAsync(
                async () =>
                {
                    using var response = await leecher.GetAsync("/files");
                    return response.StatusCode == HttpStatusCode.OK;
                },
                Wait,
                () => "listings to work again");
            await Eventually.TrueAsync(
                async () => (await client.GetPrefixAsync(cluster.Prefix + "peers/")).Kvs.Count == 2
                    && (await client.GetPrefixAsync($"{cluster.Prefix}files/{infoHash}/peers/")).Kvs.Count == 2,
                Wait,
                () => "the peers and their files are not all back in etcd");
        });
    }
}
