using FileSwarm.Core.Metainfo;

namespace FileSwarm.Core.Tests.Metainfo;

public class PieceLengthsTests
{
    [Theory]
    [InlineData(0L, 16384)]
    [InlineData(1L, 16384)]
    [InlineData(16384L * 2000, 16384)]
    [InlineData((16384L * 2000) + 1, 32768)]
    [InlineData(1L << 30, 1 << 20)]
    [InlineData(1L << 40, 16 << 20)]
    public void Automatic_length_is_a_clamped_power_of_two(long contentLength, int expected) =>
        Assert.Equal(expected, PieceLengths.ForContentLength(contentLength));

    [Fact]
    public void Automatic_length_gives_1000_to_2000_pieces_when_not_clamped()
    {
        for (var length = 16384L * 2001; length < 16L * 1024 * 1024 * 2000; length = (length * 7 / 5) + 12345)
        {
            var pieceLength = PieceLengths.ForContentLength(length);
            var count = PieceLengths.PieceCount(length, pieceLength);
            Assert.InRange(count, 1000, 2000);
            Assert.True(PieceLengths.IsValidForCreate(pieceLength, out _));
        }
    }

    [Theory]
    [InlineData(16384L, true, "")]
    [InlineData(16L << 20, true, "")]
    [InlineData(8192L, false, "out of range")]
    [InlineData(32L << 20, false, "out of range")]
    [InlineData(0L, false, "out of range")]
    [InlineData(49152L, false, "not a power of two")]
    public void User_lengths_are_validated(long length, bool valid, string reason)
    {
        Assert.Equal(valid, PieceLengths.IsValidForCreate(length, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }
}
