using System.Text.RegularExpressions;
using FileSwarm.Rpc.Internal;
using FsCheck;
using FsCheck.Fluent;

namespace FileSwarm.Rpc.Tests.Protocol;

public sealed partial class GrpcTimeoutTests
{
    /// <summary>The largest timeout the header can carry: 99,999,999 hours.</summary>
    private static readonly long MaxEncodableTicks = 99_999_999 * TimeSpan.TicksPerHour;

    [Theory]
    [InlineData(1L, "100n")] // one tick is 100 ns
    [InlineData(999_999L, "99999900n")] // the last value that fits 8 digits of nanoseconds
    [InlineData(1_000_000L, "100000u")] // 100 ms: nanoseconds would need 9 digits
    [InlineData(2_000_000_000L, "200000m")] // 200 s
    [InlineData(2_000_000_001L, "200001m")] // rounds up, never down
    [InlineData(1_728_000_000_000L, "172800S")] // 2 days
    [InlineData(1_728_000_000_001L, "172801S")]
    [InlineData(1_728_000_000_000_000L, "2880000M")] // 2000 days
    [InlineData(86_400_000_000_000_000L, "2400000H")] // 100,000 days
    public void EncodeTimeout_uses_the_finest_unit_that_fits_eight_digits_and_rounds_up(long ticks, string expected) =>
        Assert.Equal(expected, GrpcProtocol.EncodeTimeout(TimeSpan.FromTicks(ticks)));

    [Fact]
    public void EncodeTimeout_of_a_non_positive_timeout_is_the_smallest_one()
    {
        Assert.Equal("1n", GrpcProtocol.EncodeTimeout(TimeSpan.Zero));
        Assert.Equal("1n", GrpcProtocol.EncodeTimeout(TimeSpan.FromSeconds(-5)));
    }

    [Fact]
    public void EncodeTimeout_caps_timeouts_beyond_the_header_range_at_the_largest_value() =>
        Assert.Equal("99999999H", GrpcProtocol.EncodeTimeout(TimeSpan.MaxValue));

    [Fact]
    public void EncodeTimeout_always_gives_one_to_eight_digits_and_a_unit() =>
        Prop.ForAll(TimeoutArb(long.MaxValue), ticks =>
                TimeoutPattern().IsMatch(GrpcProtocol.EncodeTimeout(TimeSpan.FromTicks(ticks))))
            .QuickCheckThrowOnFailure();

    [Fact]
    public void Parse_of_encode_is_never_earlier_and_within_one_unit_of_the_timeout() =>
        Prop.ForAll(TimeoutArb(MaxEncodableTicks), ticks =>
            {
                var timeout = TimeSpan.FromTicks(ticks);
                var encoded = GrpcProtocol.EncodeTimeout(timeout);
                var parsed = GrpcProtocol.TryParseTimeout(encoded, out var back);

                // The unit is chosen so that its value has at least six digits: the rounding error is below 1/99,999.
                var error = back - timeout;
                return (parsed && error >= TimeSpan.Zero && error.Ticks <= (ticks / 99_999) + 1)
                    .Label($"{timeout} -> {encoded} -> {back}");
            })
            .QuickCheckThrowOnFailure();

    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("4m", 40_000L)]
    [InlineData("5u", 50L)]
    [InlineData("700n", 7L)]
    [InlineData("1n", 1L)] // rounds up to a whole tick: a deadline is never made earlier
    [InlineData("0S", 0L)]
    [InlineData("99999999S", 999_999_990_000_000L)] // eight digits is the most allowed
    [InlineData("00000001m", 10_000L)]
    public void TryParseTimeout_reads_every_unit(string value, long expectedTicks)
    {
        Assert.True(GrpcProtocol.TryParseTimeout(value, out var timeout));
        Assert.Equal(TimeSpan.FromTicks(expectedTicks), timeout);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("S")] // no digits
    [InlineData("100")] // no unit
    [InlineData("123456789S")] // nine digits
    [InlineData("10x")] // unknown unit
    [InlineData("10s")] // units are case-sensitive: 's' is not seconds
    [InlineData("10h")]
    [InlineData("-1S")]
    [InlineData("1 S")]
    [InlineData(" 1S")]
    [InlineData("1.5S")]
    [InlineData("\u0661S")] // an Arabic-Indic digit is not an ASCII digit
    public void TryParseTimeout_rejects_malformed_values(string? value) =>
        Assert.False(GrpcProtocol.TryParseTimeout(value, out _));

    /// <summary>Ticks spread over every order of magnitude, 1 to <paramref name="max"/>.</summary>
    private static Arbitrary<long> TimeoutArb(long max) =>
        Gen.OneOf(
                Gen.Zip(Gen.Choose(0, 18), Gen.Choose(1, 999_999_999))
                    .Select(t => t.Item2 * Math.Pow(10, t.Item1 - 8) is var ticks && ticks >= max ? max : Math.Max(1, (long)ticks)),
                Gen.Elements(1L, 999_999L, 1_000_000L, max - 1, max))
            .ToArbitrary();

    [GeneratedRegex("^[0-9]{1,8}[HMSmun]$")]
    private static partial Regex TimeoutPattern();
}
