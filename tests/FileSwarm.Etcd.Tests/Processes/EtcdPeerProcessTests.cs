using System.Diagnostics;
using System.Security.Cryptography;
using FileSwarm.Etcd.Tests.Infrastructure;
using FileSwarm.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FileSwarm.Etcd.Tests.Processes;

[Collection(EtcdPeerCollection.Name)]
public sealed class EtcdPeerProcessTests(EtcdServer etcd, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly EtcdCluster _cluster = new(etcd, output);
    private readonly EtcdClient _client = etcd.CreateClient();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _client.Dispose();
    }

    [Fact]
    public Task Peers_share_and_download_through_etcd_by_info_hash_and_by_content_sha1() => _cluster.RunAsync(async () =>
    {
        var seeder = await _cluster.StartPeerAsync("seeder");
        var byInfoHash = await _cluster.StartPeerAsync("by-info-hash");
        var bySha1 = await _cluster.StartPeerAsync("by-sha1");
        var path = _cluster.Cluster.CreateFile("etcd-shared.bin", 700_000, seed: 7);
        var sha1 = Convert.ToHexStringLower(SHA1.HashData(await File.ReadAllBytesAsync(path)));

        var infoHash = await seeder.UploadAsync(path);

        // GET /files on the other peers lists it, from their watch-fed caches.
        foreach (var peer in new[] { byInfoHash, bySha1 })
        {
            await Poll.UntilAsync(async () => (await peer.GetJsonAsync("/files"))["count"]!.GetValue<string>() == "1", Wait, () => $"{peer.Process.Name} to list the file");
            var listed = (await peer.GetJsonAsync("/files"))["files"]![0]!;
            Assert.Equal(infoHash, (string)listed["hash"]!);
            Assert.Equal("etcd-shared.bin", (string)listed["name"]!);
        }

        await byInfoHash.StartDownloadAsync(infoHash.ToUpperInvariant());
        await bySha1.StartDownloadAsync(sha1);
        await byInfoHash.WaitForDownloadAsync(infoHash, Wait);
        await bySha1.WaitForDownloadAsync(infoHash, Wait);

        var original = await File.ReadAllBytesAsync(path);
        Assert.Equal(original, await File.ReadAllBytesAsync(Path.Join(byInfoHash.DownloadsDirectory, "etcd-shared.bin")));
        Assert.Equal(original, await File.ReadAllBytesAsync(Path.Join(bySha1.DownloadsDirectory, "etcd-shared.bin")));
        Assert.Equal(infoHash, (string)(await bySha1.GetJsonAsync("/files/etcd-shared.bin"))["hash"]!);

        // Every peer holds it now, and says so in etcd (seeds, without bitfields).
        await Eventually.TrueAsync(
            async () => (await _client.GetPrefixAsync($"{_cluster.Prefix}files/{infoHash}/peers/")).Kvs.Count(kv => kv.Value.ToStringUtf8().Contains("\"complete\":true", StringComparison.Ordinal)) == 3,
            Wait,
            () => "not every peer is a seed in etcd");
    });

    [Fact]
    public Task A_peer_killed_with_sigkill_vanishes_from_etcd_within_its_lease_ttl() => _cluster.RunAsync(async () =>
    {
        const int ttl = 3;
        var victim = await _cluster.StartPeerAsync("victim", ttl);
        var witness = await _cluster.StartPeerAsync("witness");
        var infoHash = await victim.UploadAsync(_cluster.Cluster.CreateFile("victim.bin", 50_000, seed: 3));
        await Poll.UntilAsync(async () => (await witness.GetJsonAsync("/files"))["count"]!.GetValue<string>() == "1", Wait, () => "the witness to list the victim's file");
        Assert.NotNull(await _client.GetAsync($"{_cluster.Prefix}peers/{victim.PeerId}"));

        await victim.Process.KillAsync();
        var killed = Stopwatch.StartNew();

        await Eventually.TrueAsync(async () => await _client.GetAsync($"{_cluster.Prefix}peers/{victim.PeerId}") is null, TimeSpan.FromSeconds(ttl + 3), () => "the victim is still registered");
        var gone = killed.Elapsed;
        Assert.Empty((await _client.GetPrefixAsync($"{_cluster.Prefix}files/{infoHash}/")).Kvs);
        await Poll.UntilAsync(async () => (await witness.GetJsonAsync("/files"))["count"]!.GetValue<string>() == "0", TimeSpan.FromSeconds(5), () => "the witness to drop the file");
        output.WriteLine($"registration gone {gone.TotalSeconds:F1} s after SIGKILL (lease TTL {ttl} s)");
        Assert.NotNull(await _client.GetAsync($"{_cluster.Prefix}peers/{witness.PeerId}"));
    });

    [Fact]
    public Task Two_trackers_on_one_etcd_serve_the_same_swarms() => _cluster.RunAsync(async () =>
    {
        var first = await _cluster.StartTrackerAsync("tracker-a");
        var second = await _cluster.StartTrackerAsync("tracker-b");
        var seeder = await _cluster.StartTrackerPeerAsync("seeder-on-a", first);
        var leecher = await _cluster.StartTrackerPeerAsync("leecher-on-b", second);
        var path = _cluster.Cluster.CreateFile("two-trackers.bin", 300_000, seed: 5);

        var infoHash = await seeder.UploadAsync(path);
        var listed = await leecher.GetJsonAsync("/files");
        await leecher.StartDownloadAsync(infoHash);
        await leecher.WaitForDownloadAsync(infoHash, Wait);

        Assert.Equal("1", listed["count"]!.GetValue<string>());
        Assert.Equal(await File.ReadAllBytesAsync(path), await File.ReadAllBytesAsync(Path.Join(leecher.DownloadsDirectory, "two-trackers.bin")));
        Assert.NotEmpty((await _client.GetPrefixAsync($"{_cluster.Prefix}tracker/swarms/{infoHash}/")).Kvs);
    });

    [Fact]
    public async Task Peer_and_tracker_refuse_to_start_without_etcd_with_a_one_line_error()
    {
        var dead = $"http://127.0.0.1:{KvTests.DeadPort()}";
        foreach (var args in new[] { new[] { "peer", "--http", "0", "--grpc", "0", "--etcd", dead, "--data-dir", Path.Join(_cluster.Cluster.Root, "x") }, ["tracker", "--grpc", "127.0.0.1:0", "--etcd", dead] })
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add(Cli.DllPath);
            args.ToList().ForEach(start.ArgumentList.Add);
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Wait);
            await process.WaitForExitAsync(timeout.Token);

            Assert.Equal(1, process.ExitCode);
            Assert.Contains($"fileswarm {args[0]}: error: etcd at {dead} cannot be reached", await stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("listening", await stdout, StringComparison.Ordinal);
        }
    }
}
