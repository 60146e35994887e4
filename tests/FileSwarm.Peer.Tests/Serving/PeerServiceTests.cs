using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Serving;
using FileSwarm.Peer.Tests.Infrastructure;

namespace FileSwarm.Peer.Tests.Serving;

/// <summary>The peer service over a real library, reached over gRPC as another peer would.</summary>
public sealed class PeerServiceTests
{
    private const int PieceLength = 16384;
    private const int Pieces = 8;

    [Fact]
    public async Task Removing_a_super_seeded_file_drops_its_hand_out_state_and_sharing_it_again_starts_afresh()
    {
        // A cap of the whole file a second: a lone asker is offered every piece. The clock stands still, so no asker expires.
        var superSeeder = new SuperSeeder(Pieces * PieceLength, new FakeTimeProvider());
        await using var peer = await LibraryHarness.StartAsync(superSeeder);
        var content = new byte[Pieces * PieceLength];
        new Random(71).NextBytes(content);
        var path = Path.Join(peer.Directory, "shared.bin");
        await File.WriteAllBytesAsync(path, content);
        var hash = (await peer.Library.ShareAsync(path, PieceLength, CancellationToken.None)).Metainfo.InfoHash;
        var remote = peer.Connect();

        var first = await remote.GetBitfieldAsync(hash, Pieces, "a", new Bitfield(Pieces), CancellationToken.None);
        Assert.Equal(Pieces, first.Offered?.CountSet);
        Assert.Equal(1, superSeeder.FileCount);

        await peer.Library.RemoveAsync(hash, CancellationToken.None);
        Assert.Equal(0, superSeeder.FileCount);

        Assert.Equal(hash, (await peer.Library.ShareAsync(path, PieceLength, CancellationToken.None)).Metainfo.InfoHash);
        // Had "a" kept its offers of every piece, "b" would be offered none.
        var second = await remote.GetBitfieldAsync(hash, Pieces, "b", new Bitfield(Pieces), CancellationToken.None);
        Assert.Equal(Pieces, second.Offered?.CountSet);
        Assert.Equal(1, superSeeder.FileCount);
    }
}
