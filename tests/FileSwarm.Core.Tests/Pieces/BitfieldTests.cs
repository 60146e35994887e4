using FileSwarm.Core.Pieces;

namespace FileSwarm.Core.Tests.Pieces;

public class BitfieldTests
{
    [Fact]
    public void Piece_zero_is_the_high_bit_of_byte_zero()
    {
        var field = new Bitfield(10);
        field[0] = true;
        field[9] = true;
        Assert.Equal(new byte[] { 0x80, 0x40 }, field.ToArray());
        Assert.Equal(2, field.CountSet);
        Assert.Equal("1000000001", field.ToString());
        field[0] = true;
        Assert.Equal(2, field.CountSet);
        field[0] = false;
        Assert.Equal(1, field.CountSet);
        Assert.Throws<ArgumentOutOfRangeException>(() => field[10]);
        Assert.Throws<ArgumentOutOfRangeException>(() => field[-1] = true);
    }

    [Fact]
    public void Set_all_leaves_spare_bits_zero()
    {
        var field = new Bitfield(11);
        field.SetAll(true);
        Assert.True(field.IsComplete);
        Assert.Equal(new byte[] { 0xFF, 0xE0 }, field.ToArray());
        field.SetAll(false);
        Assert.True(field.IsEmpty);
        Assert.True(new Bitfield(0).IsComplete);
    }

    [Fact]
    public void Parse_validates_length_and_spare_bits()
    {
        var field = Bitfield.Parse([0b1010_0000, 0b1000_0000], 9);
        Assert.True(field[0]);
        Assert.False(field[1]);
        Assert.True(field[2]);
        Assert.True(field[8]);
        Assert.Equal(3, field.CountSet);
        Assert.Contains("past piece 8", Assert.Throws<FormatException>(() => Bitfield.Parse([0, 0x40], 9)).Message, StringComparison.Ordinal);
        Assert.Contains("2 bytes, not 1", Assert.Throws<FormatException>(() => Bitfield.Parse([0], 9)).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => Bitfield.Parse([0, 0, 0], 9));
        Assert.Equal(field, Bitfield.Parse(field.AsSpan(), 9));
        Assert.Empty(Bitfield.Parse([], 0).ToArray());
    }

    [Fact]
    public void Index_of_finds_set_and_clear_pieces()
    {
        var field = new Bitfield(100);
        Assert.Equal(-1, field.IndexOf(true));
        Assert.Equal(0, field.IndexOf(false));
        field[70] = true;
        field[99] = true;
        Assert.Equal(70, field.IndexOf(true));
        Assert.Equal(99, field.IndexOf(true, 71));
        Assert.Equal([70, 99], field.SetIndices());
        field.SetAll(true);
        field[65] = false;
        Assert.Equal(65, field.IndexOf(false));
        Assert.Equal(-1, field.IndexOf(false, 66));
    }

    [Fact]
    public void Clones_are_independent()
    {
        var field = new Bitfield(5);
        var clone = field.Clone();
        clone[1] = true;
        Assert.False(field[1]);
        Assert.NotEqual(field, clone);
    }
}
