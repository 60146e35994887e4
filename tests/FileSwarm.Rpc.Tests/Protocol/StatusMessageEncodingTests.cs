using System.Text;
using FileSwarm.Rpc.Internal;
using FsCheck;
using FsCheck.Fluent;

namespace FileSwarm.Rpc.Tests.Protocol;

public sealed class StatusMessageEncodingTests
{
    [Theory]
    [InlineData("plain text, with spaces ~!", "plain text, with spaces ~!")]
    [InlineData("100%", "100%25")]
    [InlineData("tab\there", "tab%09here")]
    [InlineData("line\r\nbreak", "line%0D%0Abreak")]
    [InlineData("\u007F", "%7F")]
    [InlineData("\u00E9", "%C3%A9")]
    [InlineData("\u20AC5", "%E2%82%AC5")]
    [InlineData("\U0001F600", "%F0%9F%98%80")] // a non-BMP character is one 4-byte UTF-8 sequence
    public void EncodeMessage_follows_the_percent_encoding_rules(string message, string expected) =>
        Assert.Equal(expected, GrpcProtocol.EncodeMessage(message));

    [Fact]
    public void EncodeMessage_uses_only_printable_ascii_and_percent_only_for_escapes() =>
        Prop.ForAll(ScalarStringArb(), message =>
            {
                var encoded = GrpcProtocol.EncodeMessage(message);
                for (var i = 0; i < encoded.Length; i++)
                {
                    if (encoded[i] is < ' ' or > '~')
                    {
                        return false;
                    }

                    if (encoded[i] == '%' && !(i + 2 < encoded.Length && Uri.IsHexDigit(encoded[i + 1]) && Uri.IsHexDigit(encoded[i + 2])))
                    {
                        return false;
                    }
                }

                return true;
            })
            .QuickCheckThrowOnFailure();

    [Fact]
    public void Decode_of_encode_gives_back_any_string_of_unicode_scalars() =>
        Prop.ForAll(ScalarStringArb(), message => GrpcProtocol.DecodeMessage(GrpcProtocol.EncodeMessage(message)) == message)
            .QuickCheckThrowOnFailure();

    [Theory]
    [InlineData("%", "%")]
    [InlineData("abc%", "abc%")]
    [InlineData("%4", "%4")]
    [InlineData("%G1", "%G1")]
    [InlineData("%%41", "%A")]
    [InlineData("%E2%82", "\uFFFD")] // truncated UTF-8 becomes a replacement character
    [InlineData("%FF%41", "\uFFFDA")]
    [InlineData("%41%42", "AB")]
    [InlineData("%e2%82%ac", "\u20AC")] // lower-case hex is accepted
    [InlineData("caf\u00E9 %41", "caf\u00E9 A")] // raw non-ASCII is not valid on the wire, but kept
    public void DecodeMessage_never_fails_on_malformed_input(string encoded, string expected) =>
        Assert.Equal(expected, GrpcProtocol.DecodeMessage(encoded));

    [Fact]
    public void DecodeMessage_of_nothing_is_empty()
    {
        Assert.Equal(string.Empty, GrpcProtocol.DecodeMessage(null));
        Assert.Equal(string.Empty, GrpcProtocol.DecodeMessage(string.Empty));
    }

    [Fact]
    public void DecodeMessage_never_throws_on_garbage()
    {
        // Percent signs, hex digits and arbitrary UTF-16 units, lone surrogates included.
        var garbage = Gen.OneOf(
                Gen.Elements('%', '%', 'E', '2', '8', 'F', 'G', 'a', ' '),
                Gen.Choose(0, 0xFFFF).Select(c => (char)c))
            .ArrayOf()
            .Select(chars => new string(chars))
            .ToArbitrary();
        Prop.ForAll(garbage, encoded => GrpcProtocol.DecodeMessage(encoded) is not null)
            .QuickCheckThrowOnFailure();
    }

    /// <summary>Strings of whole Unicode scalar values (no lone surrogates), mostly ASCII, some far beyond the BMP.</summary>
    private static Arbitrary<string> ScalarStringArb() =>
        Gen.OneOf(
                Gen.Choose(0, 0x7F),
                Gen.Choose(0x80, 0xFFFF).Where(c => Rune.IsValid(c)),
                Gen.Choose(0x10000, 0x10FFFF))
            .ArrayOf()
            .Select(codePoints => string.Concat(codePoints.Select(c => new Rune(c).ToString())))
            .ToArbitrary();
}
