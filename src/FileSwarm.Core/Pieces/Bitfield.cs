using System.Numerics;

namespace FileSwarm.Core.Pieces;

/// <summary>
/// Which pieces are present, in BEP 3 wire order: piece 0 is the high bit of byte 0. Spare bits in the last byte
/// are always zero. Not thread-safe; owners that share one synchronise, or hand out <see cref="Clone"/>s.
/// </summary>
public sealed class Bitfield : IEquatable<Bitfield>
{
    private readonly byte[] _bytes;

    public Bitfield(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _bytes = new byte[ByteCount(length)];
    }

    private Bitfield(int length, byte[] bytes, int countSet)
    {
        Length = length;
        _bytes = bytes;
        CountSet = countSet;
    }

    /// <summary>Number of pieces (bits).</summary>
    public int Length { get; }

    /// <summary>Number of pieces present.</summary>
    public int CountSet { get; private set; }

    /// <summary>True when every piece is present (also for zero pieces).</summary>
    public bool IsComplete => CountSet == Length;

    public bool IsEmpty => CountSet == 0;

    public bool this[int index]
    {
        get
        {
            CheckIndex(index);
            return (_bytes[index >> 3] & Mask(index)) != 0;
        }

        set
        {
            CheckIndex(index);
            ref var b = ref _bytes[index >> 3];
            var had = (b & Mask(index)) != 0;
            if (had == value)
            {
                return;
            }

            b = value ? (byte)(b | Mask(index)) : (byte)(b & ~Mask(index));
            CountSet += value ? 1 : -1;
        }
    }

    /// <summary>Bytes needed for <paramref name="length"/> bits.</summary>
    public static int ByteCount(int length) => (int)(((uint)length + 7) >> 3);

    /// <summary>
    /// Reads a wire bitfield for <paramref name="length"/> pieces. The byte count must be exact and spare bits zero
    /// (BEP 3 says a peer sending otherwise should be dropped); otherwise <see cref="FormatException"/>.
    /// </summary>
    public static Bitfield Parse(ReadOnlySpan<byte> bytes, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (bytes.Length != ByteCount(length))
        {
            throw new FormatException($"a bitfield for {length} pieces is {ByteCount(length)} bytes, not {bytes.Length}");
        }

        var spare = (8 - (length & 7)) & 7;
        if (spare != 0 && (bytes[^1] & ((1 << spare) - 1)) != 0)
        {
            throw new FormatException($"bitfield has bits set past piece {length - 1}");
        }

        var count = 0;
        foreach (var b in bytes)
        {
            count += BitOperations.PopCount(b);
        }

        return new Bitfield(length, bytes.ToArray(), count);
    }

    /// <summary>The wire form (view; do not keep across changes).</summary>
    public ReadOnlySpan<byte> AsSpan() => _bytes;

    public byte[] ToArray() => (byte[])_bytes.Clone();

    public Bitfield Clone() => new(Length, (byte[])_bytes.Clone(), CountSet);

    /// <summary>Sets or clears every piece.</summary>
    public void SetAll(bool value)
    {
        Array.Fill(_bytes, value ? (byte)0xFF : (byte)0);
        if (value && (Length & 7) != 0)
        {
            _bytes[^1] = (byte)(0xFF << (8 - (Length & 7)));
        }

        CountSet = value ? Length : 0;
    }

    /// <summary>Index of the first piece at or after <paramref name="start"/> whose bit equals <paramref name="value"/>, or -1.</summary>
    public int IndexOf(bool value, int start = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        for (var i = start; i < Length; i++)
        {
            if ((i & 7) == 0)
            {
                // Skip whole bytes that cannot match.
                var skip = value ? (byte)0 : (byte)0xFF;
                while (i + 8 <= Length && _bytes[i >> 3] == skip)
                {
                    i += 8;
                }

                if (i >= Length)
                {
                    break;
                }
            }

            if (((_bytes[i >> 3] & Mask(i)) != 0) == value)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The indices of present pieces, ascending.</summary>
    public IEnumerable<int> SetIndices()
    {
        for (var i = IndexOf(true); i >= 0; i = i + 1 < Length ? IndexOf(true, i + 1) : -1)
        {
            yield return i;
        }
    }

    public bool Equals(Bitfield? other) => other is not null && other.Length == Length && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => Equals(obj as Bitfield);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Length);
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    /// <summary>"1"/"0" per piece, for diagnostics.</summary>
    public override string ToString() => string.Create(Length, this, static (chars, field) =>
    {
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = field[i] ? '1' : '0';
        }
    });

    private static int Mask(int index) => 0x80 >> (index & 7);

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"piece index must be in 0..{Length - 1}");
        }
    }
}
