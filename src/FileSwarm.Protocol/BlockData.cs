using System.Buffers;
using FileSwarm.Rpc;

namespace FileSwarm.Protocol;

/// <summary>
/// Reads a serialized <c>fileswarm.v1.GetBlockResponse</c> without building the message: the <c>data</c> field is
/// copied straight into the caller's buffer, so receiving a block allocates nothing per block. Unknown fields are
/// skipped as protobuf requires; a repeated <c>data</c> field counts by its last occurrence.
/// </summary>
public static class BlockData
{
    private const ulong DataTag = (1 << 3) | 2; // field 1 (data), length-delimited

    /// <summary>
    /// The length of the response's <c>data</c> field (0 when absent), copying it into <paramref name="destination"/>
    /// when it has exactly that length (otherwise, and for malformed bytes, it is left untouched). Throws
    /// <see cref="RpcException"/> (INTERNAL) for malformed bytes.
    /// </summary>
    public static int CopyTo(ReadOnlySequence<byte> payload, Span<byte> destination)
    {
        var reader = new SequenceReader<byte>(payload);
        var length = 0;
        SequencePosition? data = null;
        while (!reader.End)
        {
            var tag = ReadTag(ref reader);
            if (tag == DataTag)
            {
                // Copied once the whole message is read: a later data field replaces this one.
                length = (int)ReadLength(ref reader);
                data = reader.Position;
                reader.Advance(length);
            }
            else
            {
                SkipField(ref reader, tag, depth: 0);
            }
        }

        if (data is { } start && length == destination.Length)
        {
            payload.Slice(start, length).CopyTo(destination);
        }

        return length;
    }

    private static ulong ReadTag(ref SequenceReader<byte> reader)
    {
        var tag = ReadVarint(ref reader);
        var field = tag >> 3;
        return field is 0 or > 536_870_911 ? throw Malformed($"field number {field}") : tag;
    }

    /// <summary>Skips an unknown field, including (deprecated, proto2) groups up to their end tag, as protobuf parsers do.</summary>
    private static void SkipField(ref SequenceReader<byte> reader, ulong tag, int depth)
    {
        switch ((int)(tag & 7))
        {
            case 0:
                ReadVarint(ref reader);
                break;
            case 1:
                Skip(ref reader, 8);
                break;
            case 5:
                Skip(ref reader, 4);
                break;
            case 2:
                reader.Advance(ReadLength(ref reader));
                break;
            case 3 when depth < 64:
                ulong inner;
                while (((inner = ReadTag(ref reader)) & 7) != 4)
                {
                    SkipField(ref reader, inner, depth + 1);
                }

                if (inner >> 3 != tag >> 3)
                {
                    throw Malformed($"group {tag >> 3} closed by the end tag of field {inner >> 3}");
                }

                break;
            case 3:
                throw Malformed("groups nested more than 64 deep");
            default:
                throw Malformed($"wire type {tag & 7} (field {tag >> 3})");
        }
    }

    private static ulong ReadVarint(ref SequenceReader<byte> reader)
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                throw Malformed("a truncated varint");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw Malformed("a varint longer than 10 bytes");
    }

    private static long ReadLength(ref SequenceReader<byte> reader)
    {
        var size = ReadVarint(ref reader);
        return size > (ulong)reader.Remaining ? throw Malformed($"a field of {size} bytes with {reader.Remaining} left") : (long)size;
    }

    private static void Skip(ref SequenceReader<byte> reader, int count)
    {
        if (reader.Remaining < count)
        {
            throw Malformed("a truncated fixed-size field");
        }

        reader.Advance(count);
    }

    private static RpcException Malformed(string what) =>
        new(StatusCode.Internal, $"Failed to deserialize the GetBlock response: {what}.");
}
