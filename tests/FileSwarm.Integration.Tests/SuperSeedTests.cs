using System.Text.RegularExpressions;
using FileSwarm.Core.Pieces;
using FileSwarm.Integration.Tests.Infrastructure;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Client;
using Google.Protobuf;
using Xunit.Abstractions;

namespace FileSwarm.Integration.Tests;

/// <summary>A peer with a capped upload super-seeds what it holds: GetBitfield carries per-asker offers.</summary>
public sealed partial class SuperSeedTests(ITestOutputHelper output)
{
    private const int FileLength = 3 * 1024 * 1024;
    private const int PieceCount = FileLength / (16 * 1024);

    [Fact]
    public async Task A_capped_seeder_offers_each_asker_its_own_pieces_over_grpc()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            var seeder = await cluster.StartPeerAsync("seeder", tracker, "--max-upload-rate", "1M");
            var hash = await seeder.UploadAsync(cluster.CreateFile("offers.bin", FileLength));
            using var channel = RpcChannel.ForAddress(seeder.GrpcAddress);
            var client = new PeerClient(channel);
            var held = new Bitfield(PieceCount);
            held[0] = true;

            var first = await client.GetBitfieldAsync(new GetBitfieldRequest { InfoHash = hash, PeerId = "asker-1", Have = ByteString.CopyFrom(held.AsSpan()) });
            var second = await client.GetBitfieldAsync(new GetBitfieldRequest { InfoHash = hash, PeerId = "asker-2" });
            var anonymous = await client.GetBitfieldAsync(new GetBitfieldRequest { InfoHash = hash });

            Assert.True(first.Complete && first.SuperSeeding && second.SuperSeeding);
            var one = Bitfield.Parse(first.Offered.Span, PieceCount);
            var two = Bitfield.Parse(second.Offered.Span, PieceCount);
            Assert.False(one.IsEmpty);
            Assert.False(two.IsEmpty);
            Assert.False(one[0], "piece 0 was offered to the asker that holds it");
            Assert.Empty(one.SetIndices().Intersect(two.SetIndices()));
            Assert.True(anonymous.Complete);
            Assert.False(anonymous.SuperSeeding);
            Assert.True(anonymous.Offered.IsEmpty);

            var bad = await Assert.ThrowsAsync<RpcException>(() => client.GetBitfieldAsync(new GetBitfieldRequest { InfoHash = hash, PeerId = "asker-3", Have = ByteString.CopyFrom(1, 2, 3) }));
            Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
            var longId = await Assert.ThrowsAsync<RpcException>(() => client.GetBitfieldAsync(new GetBitfieldRequest { InfoHash = hash, PeerId = new string('x', 65) }));
            Assert.Equal(StatusCode.InvalidArgument, longId.StatusCode);
        });
    }

    [Fact]
    public async Task Without_a_cap_or_with_super_seeding_off_a_seeder_offers_nothing()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            var uncapped = await cluster.StartPeerAsync("uncapped", tracker);
            var off = await cluster.StartPeerAsync("off", tracker, "--max-upload-rate", "1M", "--super-seed", "off");
            var path = cluster.CreateFile("plain.bin", FileLength);
            foreach (var seeder in new[] { uncapped, off })
            {
                var hash = await seeder.UploadAsync(path);
                using var channel = RpcChannel.ForAddress(seeder.GrpcAddress);
                var answer = await new PeerClient(channel).GetBitfieldAsync(new GetBitfieldRequest { InfoHash = hash, PeerId = "asker" });
                Assert.True(answer.Complete);
                Assert.False(answer.SuperSeeding);
            }
        });
    }

    [Fact]
    public async Task Downloaders_of_a_capped_seeder_get_each_piece_from_it_about_once()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            // -v: the seeder logs every block it serves, which is how its upload is counted.
            var seeder = await cluster.StartPeerAsync("seeder", tracker, "--max-upload-rate", "512K", "-v");
            var downloaders = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => cluster.StartPeerAsync($"downloader{i}", tracker)));
            var source = cluster.CreateFile("once.bin", FileLength);
            var hash = await seeder.UploadAsync(source);

            await Task.WhenAll(downloaders.Select(d => d.StartDownloadAsync(hash)));
            await Task.WhenAll(downloaders.Select(d => d.WaitForDownloadAsync(hash, TimeSpan.FromSeconds(90))));

            var expected = File.ReadAllBytes(source);
            foreach (var downloader in downloaders)
            {
                Assert.Equal(expected, File.ReadAllBytes(Path.Join(downloader.DownloadsDirectory, "once.bin")));
            }

            var uploaded = cluster.Log.Lines
                .Where(l => l.Contains(" [seeder] ", StringComparison.Ordinal))
                .Select(l => ServedBlock().Match(l))
                .Where(m => m.Success)
                .Sum(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            output.WriteLine($"the seeder uploaded {uploaded} bytes of a {FileLength}-byte file to 3 downloaders");
            // Without super-seeding this swarm has the seeder upload about 1.2× the file.
            Assert.True(uploaded <= FileLength * 1.1, $"the seeder uploaded {uploaded} bytes, {(double)uploaded / FileLength:F2}× the file");
        });
    }

    [GeneratedRegex(@"Served piece \d+ \[\d+\+(\d+)\]")]
    private static partial Regex ServedBlock();
}
