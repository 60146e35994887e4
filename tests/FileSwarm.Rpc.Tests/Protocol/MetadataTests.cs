namespace FileSwarm.Rpc.Tests.Protocol;

public sealed class MetadataTests
{
    [Theory]
    [InlineData("x-trace-id", "x-trace-id")]
    [InlineData("X-Trace-ID", "x-trace-id")]
    [InlineData("a.b_c-0", "a.b_c-0")]
    public void Keys_are_lower_case(string key, string expected) =>
        Assert.Equal(expected, new Metadata.Entry(key, "v").Key);

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData(":path")]
    [InlineData("x/y")]
    [InlineData("caf\u00E9")]
    [InlineData("x\ny")]
    public void Keys_outside_the_allowed_characters_are_rejected(string key) =>
        Assert.ThrowsAny<ArgumentException>(() => new Metadata.Entry(key, "v"));

    [Theory]
    [InlineData("")]
    [InlineData(" printable ~ ASCII! ")]
    public void Printable_ascii_text_values_are_accepted(string value) =>
        Assert.Equal(value, new Metadata.Entry("x-key", value).Value);

    [Theory]
    [InlineData("line\nbreak")]
    [InlineData("tab\t")]
    [InlineData("\u007F")]
    [InlineData("caf\u00E9")]
    [InlineData("\U0001F600")]
    public void Text_values_that_are_not_printable_ascii_are_rejected(string value) =>
        Assert.Throws<ArgumentException>(() => new Metadata.Entry("x-key", value));

    [Fact]
    public void A_bin_key_needs_bytes_and_bytes_need_a_bin_key()
    {
        Assert.Throws<ArgumentException>(() => new Metadata.Entry("x-data-bin", "AQID"));
        Assert.Throws<ArgumentException>(() => new Metadata.Entry("x-data", [1, 2, 3]));
        Assert.Throws<ArgumentNullException>(() => new Metadata.Entry("x-data-bin", (byte[])null!));
    }

    [Fact]
    public void A_binary_entry_shows_its_value_as_unpadded_base64()
    {
        var entry = new Metadata.Entry("X-Data-Bin", [0xAB, 0xAB, 0xAB, 0x01]);
        Assert.True(entry.IsBinary);
        Assert.Equal("x-data-bin", entry.Key);
        Assert.Equal("q6urAQ", entry.Value);
        Assert.Equal(new byte[] { 0xAB, 0xAB, 0xAB, 0x01 }, entry.ValueBytes);
    }

    [Fact]
    public void Lookups_ignore_case_and_keep_every_value_in_order()
    {
        var metadata = new Metadata().Add("x-a", "1").Add("x-b", "2").Add("X-A", "3");
        Assert.Equal("1", metadata.GetValue("X-A"));
        Assert.Equal(["1", "3"], metadata.GetAll("x-a").Select(e => e.Value));
        Assert.Null(metadata.Get("x-missing"));
        Assert.Equal(3, metadata.Count);
    }
}
