using System.Buffers.Text;
using FileSwarm.Core.BEncoding;

namespace FileSwarm.Core.Internal;

/// <summary>
/// Canonical encoder: measures first, then writes into an exact-size span. A parsed value is written as its
/// <see cref="BValue.RawBytes"/>, so re-encoding a parsed info dictionary reproduces it byte for byte.
/// </summary>
internal static class BencodeEncoder
{
    public static long Measure(BValue value, int depth = 0)
    {
        if (!value.RawBytes.IsEmpty)
        {
            return value.RawBytes.Length;
        }

        if (depth > 512)
        {
            throw new InvalidOperationException("bencode value nests deeper than 512 levels");
        }

        switch (value)
        {
            case BInteger integer:
                return 2 + DigitCount(integer.Value);
            case BString str:
                return DigitCount(str.Length) + 1 + str.Length;
            case BList list:
                long listLength = 2;
                foreach (var item in list)
                {
                    listLength += Measure(item, depth + 1);
                }

                return listLength;
            case BDictionary dict:
                long dictLength = 2;
                foreach (var (key, item) in dict)
                {
                    dictLength += Measure(key, depth + 1) + Measure(item, depth + 1);
                }

                return dictLength;
            default:
                throw new ArgumentException($"unknown bencode value type {value.GetType()}", nameof(value));
        }
    }

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>; returns bytes written.</summary>
    public static int Write(BValue value, Span<byte> destination)
    {
        if (!value.RawBytes.IsEmpty)
        {
            value.RawBytes.Span.CopyTo(destination);
            return value.RawBytes.Length;
        }

        switch (value)
        {
            case BInteger integer:
            {
                destination[0] = (byte)'i';
                Utf8Formatter.TryFormat(integer.Value, destination[1..], out var written);
                destination[1 + written] = (byte)'e';
                return written + 2;
            }

            case BString str:
            {
                Utf8Formatter.TryFormat(str.Length, destination, out var written);
                destination[written++] = (byte)':';
                str.Span.CopyTo(destination[written..]);
                return written + str.Length;
            }

            case BList list:
            {
                destination[0] = (byte)'l';
                var pos = 1;
                foreach (var item in list)
                {
                    pos += Write(item, destination[pos..]);
                }

                destination[pos] = (byte)'e';
                return pos + 1;
            }

            case BDictionary dict:
            {
                destination[0] = (byte)'d';
                var pos = 1;
                foreach (var (key, item) in dict)
                {
                    pos += Write(key, destination[pos..]);
                    pos += Write(item, destination[pos..]);
                }

                destination[pos] = (byte)'e';
                return pos + 1;
            }

            default:
                throw new ArgumentException($"unknown bencode value type {value.GetType()}", nameof(value));
        }
    }

    private static int DigitCount(long n)
    {
        if (n == long.MinValue)
        {
            return 20;
        }

        var count = n < 0 ? 2 : 1;
        var magnitude = Math.Abs(n);
        while (magnitude >= 10)
        {
            magnitude /= 10;
            count++;
        }

        return count;
    }
}
