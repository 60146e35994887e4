using System.Net;
using System.Text.Json;
using FileSwarm.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FileSwarm.Integration.Tests;

/// <summary>The System A walkthrough of DESIGN.md over the HTTP API, with real processes.</summary>
public sealed class WalkthroughTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Upload_info_download_by_hash_list_gives_a_byte_identical_file()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            var peer1 = await cluster.StartPeerAsync("peer1", tracker);
            var peer2 = await cluster.StartPeerAsync("peer2", tracker);
            var source = cluster.CreateFile("some.txt", 700_000);

            // upload on peer 1: the answer is the file's info in proto3 JSON (64-bit integers as strings)
            using var upload = await peer1.PostAsync("/upload", JsonSerializer.Serialize(new { name = source }));
            var uploaded = await PeerProcess.ReadJsonAsync(upload, HttpStatusCode.OK);
            var hash = (string)uploaded["hash"]!;
            Assert.Matches("^[0-9a-f]{40}$", hash);
            Assert.Equal("some.txt", (string?)uploaded["name"]);
            Assert.Equal("700000", (string?)uploaded["length"]);

            // info on peer 1, by name, by hash (either case) and by content SHA-1
            var byName = await peer1.GetJsonAsync("/files/some.txt");
            Assert.Equal(hash, (string?)byName["hash"]);
            foreach (var key in new[] { "name", "piece_length", "pieces", "length", "hash", "sha1" })
            {
                Assert.True(byName.ContainsKey(key), $"GET /files/NAME lacks \"{key}\": {byName.ToJsonString()}");
            }

            Assert.Equal(hash, (string?)(await peer1.GetJsonAsync($"/files/{hash.ToUpperInvariant()}"))["hash"]);
            var sha1 = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(File.ReadAllBytes(source)));
            Assert.Equal(sha1, (string?)byName["sha1"]);
            Assert.Equal(hash, (string?)(await peer1.GetJsonAsync($"/files/{sha1}"))["hash"]);

            // download by hash on peer 2: waits for completion and answers the same info
            using var download = await peer2.PostAsync("/download", JsonSerializer.Serialize(new { hash }));
            var downloaded = await PeerProcess.ReadJsonAsync(download, HttpStatusCode.OK);
            Assert.Equal(byName.ToJsonString(), downloaded.ToJsonString());

            // list on peer 2: every file the tracker knows
            var list = await peer2.GetJsonAsync("/files");
            Assert.Equal("1", (string?)list["count"]);
            Assert.Equal(hash, (string?)list["files"]![0]!["hash"]);

            Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Join(peer2.DownloadsDirectory, "some.txt")));
            Assert.False(File.Exists(Path.Join(peer2.DownloadsDirectory, "some.txt.part")));

            // the handler, progress and health routes
            using var torrent = await peer2.GetAsync($"/files/{hash}/torrent");
            Assert.Equal(HttpStatusCode.OK, torrent.StatusCode);
            Assert.Equal("application/x-bittorrent", torrent.Content.Headers.ContentType?.MediaType);
            var metainfo = FileSwarm.Core.Metainfo.TorrentMetainfo.Parse(await torrent.Content.ReadAsByteArrayAsync());
            Assert.Equal(hash, metainfo.InfoHash.ToString());
            var status = await peer2.DownloadStatusAsync(hash);
            Assert.Equal("complete", (string?)status["state"]);
            Assert.Equal("700000", (string?)status["completed_bytes"]);
            Assert.Equal("ok", (string?)(await peer2.GetJsonAsync("/health"))["status"]);
            Assert.Equal("1", (string?)(await peer2.GetJsonAsync("/downloads"))["count"]);

            // stop sharing on peer 1: the user's original file stays
            using var delete = await peer1.DeleteAsync($"/files/{hash}");
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            Assert.True(File.Exists(source));
            using var gone = await peer1.DeleteAsync($"/files/{hash}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

            // a clean stop exits 0
            Assert.Equal(0, await peer2.Process.StopAsync(TimeSpan.FromSeconds(30)));
        });
    }
}
