using System.Security.Cryptography;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;

namespace FileSwarm.Peer.Tests.Infrastructure;

/// <summary>Random content and its handler, plus stores holding it.</summary>
public sealed class TestFile
{
    private TestFile(TorrentMetainfo metainfo, byte[] content)
    {
        Metainfo = metainfo;
        Content = content;
    }

    public TorrentMetainfo Metainfo { get; }

    public byte[] Content { get; }

    public static TestFile Create(int length, int pieceLength, int seed = 1)
    {
        var content = new byte[length];
        new Random(seed).NextBytes(content);
        var pieces = (length + pieceLength - 1) / pieceLength;
        var hashes = new byte[pieces * 20];
        for (var i = 0; i < pieces; i++)
        {
            var start = i * pieceLength;
            SHA1.HashData(content.AsSpan(start, Math.Min(pieceLength, length - start)), hashes.AsSpan(i * 20, 20));
        }

        var metainfo = new MetainfoBuilder { Name = $"test-{seed}.bin", PieceLength = pieceLength, PieceHashes = hashes, Length = length }.Build();
        return new TestFile(metainfo, content);
    }

    /// <summary>A store holding every piece.</summary>
    public MemoryPieceStore Seed()
    {
        var store = new MemoryPieceStore(Metainfo, Content);
        store.VerifyAll();
        return store;
    }

    /// <summary>A store holding only the pieces <paramref name="keep"/> selects (verified).</summary>
    public MemoryPieceStore Partial(Func<int, bool> keep)
    {
        var store = new MemoryPieceStore(Metainfo);
        for (var piece = 0; piece < Metainfo.PieceCount; piece++)
        {
            if (keep(piece))
            {
                var offset = (int)Metainfo.GetPieceOffset(piece);
                store.WriteBlock(piece, 0, Content.AsSpan(offset, Metainfo.GetPieceSize(piece)));
                Assert.True(store.VerifyPiece(piece));
            }
        }

        return store;
    }

    /// <summary>An empty store to download into.</summary>
    public MemoryPieceStore Empty() => new(Metainfo);
}
