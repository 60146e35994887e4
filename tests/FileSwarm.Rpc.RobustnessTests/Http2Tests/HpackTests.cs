using FileSwarm.Rpc.RobustnessTests.Http2;

namespace FileSwarm.Rpc.RobustnessTests.Http2Tests;

/// <summary>The raw client's HPACK, checked against the examples of RFC 7541 Appendix C.</summary>
public sealed class HpackTests
{
    [Theory]
    [InlineData("0a", 5, 10)] // C.1.1
    [InlineData("1f9a0a", 5, 1337)] // C.1.2
    [InlineData("2a", 8, 42)] // C.1.3
    public void Integers_decode_and_encode_as_in_the_rfc(string hex, int prefixBits, int expected)
    {
        var bytes = Convert.FromHexString(hex);
        var offset = 0;
        Assert.Equal(expected, HpackPrimitives.DecodeInteger(bytes, ref offset, prefixBits));
        Assert.Equal(bytes.Length, offset);

        var encoded = new List<byte>();
        HpackPrimitives.EncodeInteger(encoded, expected, prefixBits, 0);
        Assert.Equal(bytes, encoded);
    }

    [Fact]
    public void Truncated_and_overflowing_integers_are_rejected()
    {
        Assert.Throws<InvalidDataException>(() => Decode("1f9a", 5));
        Assert.Throws<InvalidDataException>(() => Decode("1fffffffff0f", 5));

        static int Decode(string hex, int prefix)
        {
            var offset = 0;
            return HpackPrimitives.DecodeInteger(Convert.FromHexString(hex), ref offset, prefix);
        }
    }

    [Theory]
    [InlineData((int)'0', 0x0u, 5)]
    [InlineData((int)' ', 0x14u, 6)]
    [InlineData((int)':', 0x5cu, 7)]
    [InlineData((int)'&', 0xf8u, 8)]
    [InlineData((int)'!', 0x3f8u, 10)]
    [InlineData((int)'#', 0xffau, 12)]
    [InlineData(0, 0x1ff8u, 13)]
    [InlineData((int)'<', 0x7ffcu, 15)]
    [InlineData((int)'\\', 0x7fff0u, 19)]
    [InlineData(153, 0x1fffdcu, 21)]
    [InlineData(1, 0x7fffd8u, 23)]
    [InlineData(199, 0x1ffffecu, 25)]
    [InlineData(203, 0x7ffffdeu, 27)]
    [InlineData(2, 0xfffffe2u, 28)]
    [InlineData(10, 0x3ffffffcu, 30)]
    [InlineData(HpackHuffman.EndOfString, 0x3fffffffu, 30)]
    public void Canonical_huffman_codes_match_appendix_b(int symbol, uint code, int length) =>
        Assert.Equal((code, length), HpackHuffman.GetCode(symbol));

    [Fact]
    public void Huffman_code_is_complete()
    {
        // Kraft: a complete prefix code fills the code space exactly.
        var sum = Enumerable.Range(0, 257).Sum(s => Math.Pow(2, -HpackHuffman.GetCode(s).Length));
        Assert.Equal(1.0, sum, 12);
    }

    [Theory]
    [InlineData("f1e3c2e5f23a6ba0ab90f4ff", "www.example.com")]
    [InlineData("a8eb10649cbf", "no-cache")]
    [InlineData("25a849e95ba97d7f", "custom-key")]
    [InlineData("25a849e95bb8e8b4bf", "custom-value")]
    [InlineData("6402", "302")]
    [InlineData("aec3771a4b", "private")]
    public void Huffman_strings_decode(string hex, string expected)
    {
        Assert.Equal(expected, System.Text.Encoding.Latin1.GetString(HpackHuffman.Decode(Convert.FromHexString(hex))));
        Assert.Equal(Convert.FromHexString(hex), HpackHuffman.Encode(System.Text.Encoding.Latin1.GetBytes(expected)));
    }

    [Fact]
    public void Every_byte_value_round_trips_through_huffman()
    {
        var all = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        Assert.Equal(all, HpackHuffman.Decode(HpackHuffman.Encode(all)));
    }

    [Theory]
    [InlineData("ff")] // 8 bits of padding
    [InlineData("f1e3c2e5f23a6ba0ab90f4fe")] // padding not all ones
    [InlineData("ffffffff")] // EOS
    public void Invalid_huffman_strings_are_rejected(string hex) =>
        Assert.Throws<InvalidDataException>(() => HpackHuffman.Decode(Convert.FromHexString(hex)));

    [Fact]
    public void Literal_with_indexing_enters_the_dynamic_table() // C.2.1
    {
        var decoder = new HpackDecoder();
        var fields = decoder.Decode(Convert.FromHexString("400a637573746f6d2d6b65790d637573746f6d2d686561646572"));
        Assert.Equal([new HeaderField("custom-key", "custom-header")], fields);
        Assert.Equal(55, decoder.DynamicTableSize);
    }

    [Fact]
    public void Literal_without_indexing_and_never_indexed_leave_the_table_empty() // C.2.2, C.2.3
    {
        var decoder = new HpackDecoder();
        Assert.Equal([new HeaderField(":path", "/sample/path")], decoder.Decode(Convert.FromHexString("040c2f73616d706c652f70617468")));
        Assert.Equal([new HeaderField("password", "secret")], decoder.Decode(Convert.FromHexString("100870617373776f726406736563726574")));
        Assert.Equal(0, decoder.DynamicTableCount);
    }

    [Fact]
    public void Requests_with_huffman_share_the_dynamic_table() // C.4
    {
        var decoder = new HpackDecoder();
        Assert.Equal(
            [new(":method", "GET"), new(":scheme", "http"), new(":path", "/"), new(":authority", "www.example.com")],
            decoder.Decode(Convert.FromHexString("828684418cf1e3c2e5f23a6ba0ab90f4ff")));
        Assert.Equal(57, decoder.DynamicTableSize);
        Assert.Equal(
            [new(":method", "GET"), new(":scheme", "http"), new(":path", "/"), new(":authority", "www.example.com"), new("cache-control", "no-cache")],
            decoder.Decode(Convert.FromHexString("828684be5886a8eb10649cbf")));
        Assert.Equal(110, decoder.DynamicTableSize);
        Assert.Equal(
            [new(":method", "GET"), new(":scheme", "https"), new(":path", "/index.html"), new(":authority", "www.example.com"), new("custom-key", "custom-value")],
            decoder.Decode(Convert.FromHexString("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf")));
        Assert.Equal(164, decoder.DynamicTableSize);
    }

    [Fact]
    public void Responses_with_huffman_evict_from_a_small_table() // C.6, table size 256
    {
        var decoder = new HpackDecoder(256);
        var first = decoder.Decode(Convert.FromHexString(
            "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3"));
        Assert.Equal(
            [new(":status", "302"), new("cache-control", "private"), new("date", "Mon, 21 Oct 2013 20:13:21 GMT"), new("location", "https://www.example.com")],
            first);
        Assert.Equal(222, decoder.DynamicTableSize);

        var second = decoder.Decode(Convert.FromHexString("4883640effc1c0bf"));
        Assert.Equal(new HeaderField(":status", "307"), second[0]);
        Assert.Equal(222, decoder.DynamicTableSize);

        var third = decoder.Decode(Convert.FromHexString(
            "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007"));
        Assert.Equal(
            [
                new(":status", "200"), new("cache-control", "private"), new("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
                new("location", "https://www.example.com"), new("content-encoding", "gzip"),
                new("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
            ],
            third);
        Assert.Equal(215, decoder.DynamicTableSize);
        Assert.Equal(3, decoder.DynamicTableCount);
    }

    [Fact]
    public void Table_size_updates_are_bounded_by_the_advertised_size()
    {
        var decoder = new HpackDecoder(0);
        Assert.Empty(decoder.Decode([0x20])); // size update to 0 is allowed
        Assert.Throws<InvalidDataException>(() => decoder.Decode([0x3f, 0xe1, 0x1f])); // to 4096 is not

        var indexing = new HpackDecoder(0);
        Assert.Equal([new HeaderField("custom-key", "custom-header")], indexing.Decode(Convert.FromHexString("400a637573746f6d2d6b65790d637573746f6d2d686561646572")));
        Assert.Equal(0, indexing.DynamicTableCount); // too big for a zero-size table: not added
    }

    [Fact]
    public void Size_update_after_a_field_and_bad_indexes_are_rejected()
    {
        Assert.Throws<InvalidDataException>(() => new HpackDecoder().Decode([0x82, 0x20]));
        Assert.Throws<InvalidDataException>(() => new HpackDecoder().Decode([0x80]));
        Assert.Throws<InvalidDataException>(() => new HpackDecoder().Decode([0xbe]));
    }

    [Fact]
    public void Encoder_output_decodes_to_the_same_headers()
    {
        List<HeaderField> headers = [new(":method", "POST"), new(":path", "/a.B/C"), new("x-long", new string('v', 300))];
        var block = HpackEncoder.Encode(headers);
        var decoder = new HpackDecoder(0);
        Assert.Equal(headers, decoder.Decode(block));
        Assert.Equal(0, decoder.DynamicTableCount);
    }
}
