using System.Text;
using FileSwarm.Core.BEncoding;

namespace FileSwarm.Core.Tests.BEncoding;

public class BencodeTests
{
    private static BValue Parse(string text, BencodeReaderOptions? options = null) => Bencode.Parse(Encoding.Latin1.GetBytes(text), options);

    [Fact]
    public void Parses_every_kind_of_value()
    {
        var value = (BDictionary)Parse("d1:ai-42e1:bl4:spami0ee1:cd0:0:ee");
        Assert.True(value.TryGetValue("a"u8, out var a));
        Assert.Equal(-42, ((BInteger)a).Value);
        Assert.True(value.TryGetValue("b", out var b));
        var list = (BList)b;
        Assert.Equal("spam", list[0].ToString());
        Assert.Equal(0, ((BInteger)list[1]).Value);
        Assert.True(value.TryGetValue("c"u8, out var c));
        var inner = Assert.Single((BDictionary)c);
        Assert.Equal(0, inner.Key.Length);
        Assert.False(value.TryGetValue("d"u8, out _));
    }

    [Theory]
    [InlineData("i9223372036854775807e", long.MaxValue)]
    [InlineData("i-9223372036854775808e", long.MinValue)]
    [InlineData("i0e", 0)]
    [InlineData("i-1e", -1)]
    public void Parses_integers_at_the_limits(string text, long expected) =>
        Assert.Equal(expected, ((BInteger)Parse(text)).Value);

    [Theory]
    [InlineData("", 0, "empty")]
    [InlineData("i01e", 1, "leading zero")]
    [InlineData("i-0e", 1, "negative zero")]
    [InlineData("i-01e", 2, "leading zero")]
    [InlineData("ie", 1, "no digits")]
    [InlineData("i-e", 2, "no digits")]
    [InlineData("i12", 3, "end of input")]
    [InlineData("i1x2e", 2, "0x78")]
    [InlineData("i9223372036854775808e", 1, "64 bits")]
    [InlineData("i-9223372036854775809e", 2, "64 bits")]
    [InlineData("01:a", 0, "leading zero")]
    [InlineData("5:abc", 0, "past the end")]
    [InlineData("3abc", 1, "0x61")]
    [InlineData("99999999999999999999:a", 0, "longer than the input")]
    [InlineData("l", 1, "end of input inside a list")]
    [InlineData("li1e", 4, "end of input inside a list")]
    [InlineData("d", 1, "end of input inside a dictionary")]
    [InlineData("di1ei2ee", 1, "key must be a string")]
    [InlineData("d1:b0:1:a0:e", 6, "out of order")]
    [InlineData("d1:a0:1:a0:e", 6, "duplicate")]
    [InlineData("d1:ae", 4, "has no value")]
    [InlineData("d1:a", 4, "expected a value")]
    [InlineData("i1ei2e", 3, "after the end")]
    [InlineData("x", 0, "unexpected byte 0x78")]
    [InlineData("i1e ", 3, "after the end")]
    public void Rejects_malformed_input_with_the_offset(string text, long offset, string reason)
    {
        var error = Assert.Throws<BencodeFormatException>(() => Parse(text));
        Assert.Equal(offset, error.Offset);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains($"at byte {offset}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsorted_keys_are_accepted_only_when_allowed_and_duplicates_never()
    {
        var lenient = new BencodeReaderOptions { AllowUnsortedKeys = true };
        var dict = (BDictionary)Parse("d1:bi2e1:ai1ee", lenient);
        Assert.True(dict.TryGetValue("a"u8, out var a));
        Assert.Equal(1, ((BInteger)a).Value);
        Assert.Equal("d1:bi2e1:ai1ee", Encoding.Latin1.GetString(Bencode.Encode(dict)));
        var error = Assert.Throws<BencodeFormatException>(() => Parse("d1:bi2e1:ai1e1:bi3ee", lenient));
        Assert.Contains("duplicate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_are_ordered_as_raw_bytes_not_as_text()
    {
        // 0xC3 sorts after 'z' as a byte, whatever a culture thinks of "é".
        var input = "d1:zi1e2:\u00c3\u00a9i2ee";
        var dict = (BDictionary)Parse(input);
        Assert.Equal(2, dict.Count);
        Assert.Throws<BencodeFormatException>(() => Parse("d2:\u00c3\u00a9i2e1:zi1ee"));
    }

    [Fact]
    public void Depth_limit_stops_deep_nesting()
    {
        var deep = new string('l', 65) + new string('e', 65);
        var error = Assert.Throws<BencodeFormatException>(() => Parse(deep));
        Assert.Contains("nesting deeper than 64", error.Message, StringComparison.Ordinal);
        Assert.Equal(64, error.Offset);
        var ok = new string('l', 64) + new string('e', 64);
        Assert.IsType<BList>(Parse(ok));

        // Far past any stack: must still be a format error, not a crash.
        var hostile = new string('l', 1_000_000);
        Assert.Throws<BencodeFormatException>(() => Parse(hostile));
    }

    [Fact]
    public void Size_and_value_count_limits_apply()
    {
        Assert.Throws<BencodeFormatException>(() => Parse("4:spam", new BencodeReaderOptions { MaxInputLength = 5 }));
        var error = Assert.Throws<BencodeFormatException>(() => Parse("li1ei2ei3ee", new BencodeReaderOptions { MaxValueCount = 3 }));
        Assert.Equal(7, error.Offset);
    }

    [Fact]
    public void Parsed_values_keep_their_raw_bytes()
    {
        var input = Encoding.ASCII.GetBytes("d4:infod1:xi1ee4:zzzz0:e");
        var dict = (BDictionary)Bencode.Parse(input);
        Assert.True(dict.TryGetValue("info"u8, out var info));
        Assert.Equal("d1:xi1ee", Encoding.ASCII.GetString(info.RawBytes.Span));
        Assert.Equal(7, info.SourceOffset);
        Assert.Equal(input, Bencode.Encode(dict));
    }

    [Fact]
    public void Encoding_sorts_keys_and_writes_canonical_forms()
    {
        var dict = new BDictionary(new Dictionary<string, BValue>
        {
            ["zeta"] = new BInteger(-7),
            ["alpha"] = new BList([new BString("x"), new BInteger(long.MinValue)]),
            ["Beta"] = new BString(""),
        });
        var encoded = Encoding.ASCII.GetString(Bencode.Encode(dict));
        Assert.Equal("d4:Beta0:5:alphal1:xi-9223372036854775808ee4:zetai-7ee", encoded);
        Assert.Equal(encoded.Length, Bencode.GetEncodedLength(dict));
    }

    [Fact]
    public void Building_a_dictionary_with_duplicate_keys_throws()
    {
        Assert.Throws<ArgumentException>(() => new BDictionary(
        [
            new KeyValuePair<string, BValue>("a", new BInteger(1)),
            new KeyValuePair<string, BValue>("a", new BInteger(2)),
        ]));
    }

    [Fact]
    public void Strings_are_bytes_and_text_decoding_is_strict()
    {
        var value = (BString)Bencode.Parse(new byte[] { (byte)'2', (byte)':', 0xFF, 0xFE });
        Assert.Equal(new byte[] { 0xFF, 0xFE }, value.Bytes.ToArray());
        Assert.False(value.TryGetText(out _));
        Assert.True(new BString("héllo").TryGetText(out var text));
        Assert.Equal("héllo", text);
    }
}
