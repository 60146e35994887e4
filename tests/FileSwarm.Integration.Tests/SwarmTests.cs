using System.Text.Json.Nodes;
using FileSwarm.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FileSwarm.Integration.Tests;

/// <summary>Several peers at once: sharing among downloaders, sources dying, downloaders dying, the tracker restarting.</summary>
public sealed class SwarmTests(ITestOutputHelper output)
{
    private const int FileLength = 3 * 1024 * 1024;
    private static readonly TimeSpan DownloadTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task One_seeder_and_three_downloaders_all_finish_and_downloaders_fetch_from_each_other()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            // The seeder is slow, so the downloaders must get most pieces from each other.
            var seeder = await cluster.StartPeerAsync("seeder", tracker, "--max-upload-rate", "512K");
            var downloaders = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => cluster.StartPeerAsync($"downloader{i}", tracker)));
            var source = cluster.CreateFile("swarm.bin", FileLength);
            var hash = await seeder.UploadAsync(source);

            await Task.WhenAll(downloaders.Select(d => d.StartDownloadAsync(hash)));
            var statuses = await Task.WhenAll(downloaders.Select(d => d.WaitForDownloadAsync(hash, DownloadTimeout)));

            var expected = File.ReadAllBytes(source);
            foreach (var downloader in downloaders)
            {
                Assert.Equal(expected, File.ReadAllBytes(Path.Join(downloader.DownloadsDirectory, "swarm.bin")));
            }

            var downloaderIds = downloaders.Select(d => d.PeerId).ToHashSet();
            var fromOtherDownloaders = statuses.Sum(s => BytesFrom(s, downloaderIds));
            Assert.True(fromOtherDownloaders > 0, $"no downloader fetched anything from another downloader: {string.Join(" ", statuses.Select(s => s.ToJsonString()))}");
        });
    }

    [Fact]
    public async Task A_source_killed_mid_download_leaves_the_download_to_finish_from_the_others()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            var source = cluster.CreateFile("killed-source.bin", FileLength);
            var first = await cluster.StartPeerAsync("source1", tracker, "--max-upload-rate", "256K");
            var second = await cluster.StartPeerAsync("source2", tracker, "--max-upload-rate", "256K");
            var hash = await first.UploadAsync(source);
            Assert.Equal(hash, await second.UploadAsync(source));
            var downloader = await cluster.StartPeerAsync("downloader", tracker);

            await downloader.StartDownloadAsync(hash);
            await Poll.UntilAsync(async () => BytesFrom(await downloader.DownloadStatusAsync(hash), [first.PeerId]) > 0, DownloadTimeout, () => "bytes from source1");
            var before = await downloader.DownloadStatusAsync(hash);
            Assert.NotEqual("complete", (string?)before["state"]);
            await first.Process.KillAsync();

            var done = await downloader.WaitForDownloadAsync(hash, DownloadTimeout);
            Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Join(downloader.DownloadsDirectory, "killed-source.bin")));
            Assert.True(BytesFrom(done, [second.PeerId]) > 0, done.ToJsonString());
        });
    }

    [Fact]
    public async Task A_downloader_killed_mid_download_resumes_without_fetching_verified_pieces_again()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            var source = cluster.CreateFile("resume.bin", FileLength);
            var seeder = await cluster.StartPeerAsync("seeder", tracker, "--max-upload-rate", "512K");
            var hash = await seeder.UploadAsync(source);
            var downloader = await cluster.StartPeerAsync("downloader", tracker);
            await downloader.StartDownloadAsync(hash);
            await Poll.UntilAsync(async () => (int)(await downloader.DownloadStatusAsync(hash))["completed_pieces"]! >= 40, DownloadTimeout, () => "40 pieces before the kill");
            await downloader.Process.KillAsync();
            Assert.True(File.Exists(Path.Join(downloader.DownloadsDirectory, "resume.bin.part")));
            Assert.False(File.Exists(Path.Join(downloader.DownloadsDirectory, "resume.bin")));

            // Same data directory: the library brings the download back by itself.
            var restarted = await cluster.StartPeerAsync("downloader", tracker);
            var done = await restarted.WaitForDownloadAsync(hash, DownloadTimeout);
            Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Join(restarted.DownloadsDirectory, "resume.bin")));
            Assert.True((int)done["resumed_pieces"]! >= 40, done.ToJsonString());
            Assert.True(long.Parse((string)done["fetched_bytes"]!) < FileLength, $"the restarted peer fetched the whole file again: {done.ToJsonString()}");
        });
    }

    [Fact]
    public async Task After_a_tracker_restart_peers_announce_again_and_transfers_go_on()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            var source = cluster.CreateFile("tracker-restart.bin", FileLength);
            var seeder = await cluster.StartPeerAsync("seeder", tracker, "--max-upload-rate", "512K");
            var hash = await seeder.UploadAsync(source);
            var downloader = await cluster.StartPeerAsync("downloader", tracker);
            await downloader.StartDownloadAsync(hash);
            await Poll.UntilAsync(async () => (int)(await downloader.DownloadStatusAsync(hash))["completed_pieces"]! >= 10, DownloadTimeout, () => "10 pieces before the restart");

            await tracker.Process.KillAsync();
            var restarted = await cluster.StartTrackerAsync(tracker.Port);

            // The new tracker starts empty; the peers' announces register the file again.
            await Poll.UntilAsync(async () => (string?)(await downloader.GetJsonAsync("/files"))["count"] == "1", DownloadTimeout, () => "the file back in the new tracker's catalog");
            await downloader.WaitForDownloadAsync(hash, DownloadTimeout);
            Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Join(downloader.DownloadsDirectory, "tracker-restart.bin")));

            // A peer that arrives after the restart finds the file and both sources.
            var late = await cluster.StartPeerAsync("late", restarted);
            await late.StartDownloadAsync(hash);
            await late.WaitForDownloadAsync(hash, DownloadTimeout);
            Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Join(late.DownloadsDirectory, "tracker-restart.bin")));
        });
    }

    internal static long BytesFrom(JsonObject status, IReadOnlyCollection<string> peerIds) =>
        status["peer_stats"]!.AsArray()
            .Where(p => peerIds.Contains((string)p!["peer_id"]!))
            .Sum(p => long.Parse((string)p!["bytes_received"]!, System.Globalization.CultureInfo.InvariantCulture));
}
