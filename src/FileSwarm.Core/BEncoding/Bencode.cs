using System.Buffers;
using FileSwarm.Core.Internal;

namespace FileSwarm.Core.BEncoding;

/// <summary>Entry points for reading and writing bencode (BEP 3).</summary>
public static class Bencode
{
    /// <summary>
    /// Parses exactly one value that spans the whole input. Strings are slices of <paramref name="input"/>, which
    /// must therefore not change afterwards. Throws <see cref="BencodeFormatException"/> and nothing else on bad input.
    /// </summary>
    public static BValue Parse(ReadOnlyMemory<byte> input, BencodeReaderOptions? options = null) =>
        BencodeParser.Parse(input, options ?? BencodeReaderOptions.Default);

    /// <summary>Number of bytes <see cref="Encode(BValue)"/> produces.</summary>
    public static long GetEncodedLength(BValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return BencodeEncoder.Measure(value);
    }

    /// <summary>Encodes canonically (dictionary keys in raw byte order). Parsed values are written as their raw bytes.</summary>
    public static byte[] Encode(BValue value)
    {
        var length = GetEncodedLength(value);
        if (length > Array.MaxLength)
        {
            throw new InvalidOperationException($"encoded value would be {length} bytes, too large for one array");
        }

        var bytes = new byte[length];
        BencodeEncoder.Write(value, bytes);
        return bytes;
    }

    /// <summary>Encodes into a buffer writer, in one contiguous span.</summary>
    public static void Encode(BValue value, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var length = checked((int)GetEncodedLength(value));
        var written = BencodeEncoder.Write(value, writer.GetSpan(length));
        writer.Advance(written);
    }
}
