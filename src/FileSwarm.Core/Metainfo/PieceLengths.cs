using System.Numerics;

namespace FileSwarm.Core.Metainfo;

/// <summary>
/// Piece length policy. Created handlers use a power of two between <see cref="Minimum"/> and <see cref="Maximum"/>;
/// handlers read from elsewhere may use anything between <see cref="ReadMinimum"/> and <see cref="ReadMaximum"/>.
/// </summary>
public static class PieceLengths
{
    /// <summary>Smallest piece length FileSwarm creates: 16 KiB, one BitTorrent block.</summary>
    public const int Minimum = 16 * 1024;

    /// <summary>Largest piece length FileSwarm creates: 16 MiB.</summary>
    public const int Maximum = 16 * 1024 * 1024;

    /// <summary>Smallest piece length accepted in a handler written by another tool.</summary>
    public const int ReadMinimum = 1024;

    /// <summary>Largest piece length accepted in a handler written by another tool: 128 MiB.</summary>
    public const int ReadMaximum = 128 * 1024 * 1024;

    /// <summary>Upper bound on the piece count of any accepted handler (40 MiB of piece hashes).</summary>
    public const int MaxPieceCount = 1 << 21;

    /// <summary>Automatic piece count ceiling: the smallest power of two keeping the count at or below this is chosen.</summary>
    public const int TargetMaxPieceCount = 2000;

    /// <summary>
    /// The automatic piece length: the smallest power of two that cuts <paramref name="contentLength"/> into at most
    /// 2000 pieces (so a large file gets 1000–2000), clamped to 16 KiB..16 MiB.
    /// </summary>
    public static int ForContentLength(long contentLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        var ideal = (contentLength + TargetMaxPieceCount - 1) / TargetMaxPieceCount;
        if (ideal <= Minimum)
        {
            return Minimum;
        }

        return ideal >= Maximum ? Maximum : (int)BitOperations.RoundUpToPowerOf2((ulong)ideal);
    }

    /// <summary>Checks a user-chosen piece length for a new handler; <paramref name="reason"/> says what is wrong.</summary>
    public static bool IsValidForCreate(long pieceLength, out string reason)
    {
        if (pieceLength < Minimum || pieceLength > Maximum)
        {
            reason = $"piece length {pieceLength} is out of range: it must be between {Minimum} (16 KiB) and {Maximum} (16 MiB)";
            return false;
        }

        if (!BitOperations.IsPow2(pieceLength))
        {
            reason = $"piece length {pieceLength} is not a power of two";
            return false;
        }

        reason = "";
        return true;
    }

    /// <summary>Number of pieces content of this length is cut into.</summary>
    public static long PieceCount(long contentLength, int pieceLength) =>
        contentLength == 0 ? 0 : ((contentLength - 1) / pieceLength) + 1;
}
