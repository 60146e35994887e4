using FileSwarm.Core;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;

namespace FileSwarm.Tracker.Tests.Infrastructure;

/// <summary>Handlers and bitfields for tests: random piece hashes, so every handler has its own info-hash.</summary>
public static class TestTorrents
{
    public const int PieceLength = 16 * 1024;

    public static TorrentMetainfo Create(string name, int pieces = 10, Sha1Hash? contentSha1 = null, bool withSha1 = true)
    {
        var hashes = new byte[pieces * Sha1Hash.Size];
        Random.Shared.NextBytes(hashes);
        var sha1 = contentSha1 ?? (withSha1 ? Sha1Hash.Compute(hashes) : null);
        return new MetainfoBuilder
        {
            Name = name,
            PieceLength = PieceLength,
            PieceHashes = hashes,
            Length = ((long)pieces * PieceLength) - 100,
            ContentSha1 = sha1,
        }.Build();
    }

    /// <summary>A wire bitfield of <paramref name="length"/> pieces with the given ones set.</summary>
    public static byte[] Pieces(int length, params int[] held)
    {
        var field = new Bitfield(length);
        foreach (var piece in held)
        {
            field[piece] = true;
        }

        return field.ToArray();
    }

    public static byte[] AllPieces(int length)
    {
        var field = new Bitfield(length);
        field.SetAll(true);
        return field.ToArray();
    }

    public static string NewPeerId() => "peer-" + Guid.NewGuid().ToString("N");
}

/// <summary>Waits for a condition by polling until a deadline; never a fixed sleep.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(20);
        }
    }
}
