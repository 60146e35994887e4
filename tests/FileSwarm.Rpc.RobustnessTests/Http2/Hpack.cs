using System.Text;

namespace FileSwarm.Rpc.RobustnessTests.Http2;

/// <summary>A header field as HPACK sees it: lower-case name and value, as strings of octets.</summary>
public readonly record struct HeaderField(string Name, string Value)
{
    /// <summary>The size the dynamic table charges for an entry (RFC 7541 §4.1).</summary>
    public int Size => Encoding.Latin1.GetByteCount(Name) + Encoding.Latin1.GetByteCount(Value) + 32;

    public override string ToString() => $"{Name}: {Value}";
}

/// <summary>HPACK primitive types (RFC 7541 §5) as pure functions.</summary>
public static class HpackPrimitives
{
    /// <summary>Decodes an integer with an N-bit prefix starting at <paramref name="offset"/>.</summary>
    public static int DecodeInteger(ReadOnlySpan<byte> input, ref int offset, int prefixBits)
    {
        if (offset >= input.Length)
        {
            throw new InvalidDataException("HPACK integer is truncated.");
        }

        var max = (1 << prefixBits) - 1;
        long value = input[offset++] & max;
        if (value < max)
        {
            return (int)value;
        }

        var shift = 0;
        while (true)
        {
            if (offset >= input.Length)
            {
                throw new InvalidDataException("HPACK integer is truncated.");
            }

            var b = input[offset++];
            value += (long)(b & 0x7F) << shift;
            if (value > int.MaxValue)
            {
                throw new InvalidDataException("HPACK integer overflows.");
            }

            if ((b & 0x80) == 0)
            {
                return (int)value;
            }

            shift += 7;
            if (shift > 28)
            {
                throw new InvalidDataException("HPACK integer overflows.");
            }
        }
    }

    /// <summary>Appends an integer with an N-bit prefix; <paramref name="firstByteFlags"/> fills the bits above the prefix.</summary>
    public static void EncodeInteger(List<byte> output, int value, int prefixBits, byte firstByteFlags)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            output.Add((byte)(firstByteFlags | value));
            return;
        }

        output.Add((byte)(firstByteFlags | max));
        value -= max;
        while (value >= 0x80)
        {
            output.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }

    /// <summary>Decodes a string literal (H bit, 7-bit prefix length, octets, Huffman-coded when H is set).</summary>
    public static string DecodeString(ReadOnlySpan<byte> input, ref int offset)
    {
        if (offset >= input.Length)
        {
            throw new InvalidDataException("HPACK string is truncated.");
        }

        var huffman = (input[offset] & 0x80) != 0;
        var length = DecodeInteger(input, ref offset, 7);
        if (length > input.Length - offset)
        {
            throw new InvalidDataException("HPACK string is truncated.");
        }

        var raw = input.Slice(offset, length);
        offset += length;
        return Encoding.Latin1.GetString(huffman ? HpackHuffman.Decode(raw) : raw);
    }

    /// <summary>Appends a string literal without Huffman coding.</summary>
    public static void EncodeString(List<byte> output, string value)
    {
        var bytes = Encoding.Latin1.GetBytes(value);
        EncodeInteger(output, bytes.Length, 7, 0x00);
        output.AddRange(bytes);
    }
}

/// <summary>
/// An HPACK decoder (RFC 7541): static and dynamic table, all field representations, table size
/// updates and Huffman strings. One per connection; header blocks must be decoded in the order received.
/// </summary>
public sealed class HpackDecoder
{
    private static readonly HeaderField[] StaticTable =
    [
        new(":authority", ""), new(":method", "GET"), new(":method", "POST"), new(":path", "/"),
        new(":path", "/index.html"), new(":scheme", "http"), new(":scheme", "https"), new(":status", "200"),
        new(":status", "204"), new(":status", "206"), new(":status", "304"), new(":status", "400"),
        new(":status", "404"), new(":status", "500"), new("accept-charset", ""), new("accept-encoding", "gzip, deflate"),
        new("accept-language", ""), new("accept-ranges", ""), new("accept", ""), new("access-control-allow-origin", ""),
        new("age", ""), new("allow", ""), new("authorization", ""), new("cache-control", ""),
        new("content-disposition", ""), new("content-encoding", ""), new("content-language", ""), new("content-length", ""),
        new("content-location", ""), new("content-range", ""), new("content-type", ""), new("cookie", ""),
        new("date", ""), new("etag", ""), new("expect", ""), new("expires", ""),
        new("from", ""), new("host", ""), new("if-match", ""), new("if-modified-since", ""),
        new("if-none-match", ""), new("if-range", ""), new("if-unmodified-since", ""), new("last-modified", ""),
        new("link", ""), new("location", ""), new("max-forwards", ""), new("proxy-authenticate", ""),
        new("proxy-authorization", ""), new("range", ""), new("referer", ""), new("refresh", ""),
        new("retry-after", ""), new("server", ""), new("set-cookie", ""), new("strict-transport-security", ""),
        new("transfer-encoding", ""), new("user-agent", ""), new("vary", ""), new("via", ""),
        new("www-authenticate", ""),
    ];

    // Newest entry first: dynamic index 62 is _dynamic[0].
    private readonly LinkedList<HeaderField> _dynamic = new();
    private int _dynamicSize;

    /// <param name="maxTableSize">The SETTINGS_HEADER_TABLE_SIZE this side advertised: the most an encoder may use.</param>
    public HpackDecoder(int maxTableSize = 4096)
    {
        MaxAllowedTableSize = maxTableSize;
        CurrentMaxTableSize = maxTableSize;
    }

    public static int StaticTableLength => StaticTable.Length;

    public int MaxAllowedTableSize { get; }

    public int CurrentMaxTableSize { get; private set; }

    public int DynamicTableSize => _dynamicSize;

    public int DynamicTableCount => _dynamic.Count;

    /// <summary>Decodes one complete header block (HEADERS plus its CONTINUATION fragments).</summary>
    /// <exception cref="InvalidDataException">The block is malformed (a COMPRESSION_ERROR in HTTP/2).</exception>
    public List<HeaderField> Decode(ReadOnlySpan<byte> block)
    {
        var fields = new List<HeaderField>();
        var offset = 0;
        var fieldSeen = false;
        while (offset < block.Length)
        {
            var b = block[offset];
            if ((b & 0x80) != 0)
            {
                // Indexed header field.
                var index = HpackPrimitives.DecodeInteger(block, ref offset, 7);
                fields.Add(Lookup(index));
                fieldSeen = true;
            }
            else if ((b & 0xC0) == 0x40)
            {
                // Literal with incremental indexing.
                var field = ReadLiteral(block, ref offset, 6);
                fields.Add(field);
                Insert(field);
                fieldSeen = true;
            }
            else if ((b & 0xE0) == 0x20)
            {
                // Dynamic table size update: only at the start of a block.
                if (fieldSeen)
                {
                    throw new InvalidDataException("Dynamic table size update after a header field.");
                }

                var size = HpackPrimitives.DecodeInteger(block, ref offset, 5);
                if (size > MaxAllowedTableSize)
                {
                    throw new InvalidDataException($"Dynamic table size update to {size} exceeds the allowed {MaxAllowedTableSize}.");
                }

                CurrentMaxTableSize = size;
                Evict(0);
            }
            else
            {
                // Literal without indexing (0000) or never indexed (0001).
                fields.Add(ReadLiteral(block, ref offset, 4));
                fieldSeen = true;
            }
        }

        return fields;
    }

    private HeaderField ReadLiteral(ReadOnlySpan<byte> block, ref int offset, int prefixBits)
    {
        var nameIndex = HpackPrimitives.DecodeInteger(block, ref offset, prefixBits);
        var name = nameIndex == 0 ? HpackPrimitives.DecodeString(block, ref offset) : Lookup(nameIndex).Name;
        var value = HpackPrimitives.DecodeString(block, ref offset);
        return new HeaderField(name, value);
    }

    private HeaderField Lookup(int index)
    {
        if (index <= 0)
        {
            throw new InvalidDataException("HPACK index 0 is invalid.");
        }

        if (index <= StaticTable.Length)
        {
            return StaticTable[index - 1];
        }

        var dynamicIndex = index - StaticTable.Length - 1;
        if (dynamicIndex >= _dynamic.Count)
        {
            throw new InvalidDataException($"HPACK index {index} is beyond the dynamic table ({_dynamic.Count} entries).");
        }

        return _dynamic.ElementAt(dynamicIndex);
    }

    private void Insert(HeaderField field)
    {
        // An entry larger than the table empties it and is not added (RFC 7541 §4.4).
        Evict(field.Size);
        if (field.Size <= CurrentMaxTableSize)
        {
            _dynamic.AddFirst(field);
            _dynamicSize += field.Size;
        }
    }

    private void Evict(int room)
    {
        while (_dynamic.Count > 0 && _dynamicSize + room > CurrentMaxTableSize)
        {
            _dynamicSize -= _dynamic.Last!.Value.Size;
            _dynamic.RemoveLast();
        }
    }
}

/// <summary>Encodes request headers as literals without indexing, new names, no Huffman: nothing enters either side's table.</summary>
public static class HpackEncoder
{
    public static byte[] Encode(IEnumerable<HeaderField> headers)
    {
        var output = new List<byte>();
        foreach (var header in headers)
        {
            output.Add(0x00);
            HpackPrimitives.EncodeString(output, header.Name);
            HpackPrimitives.EncodeString(output, header.Value);
        }

        return [.. output];
    }
}
