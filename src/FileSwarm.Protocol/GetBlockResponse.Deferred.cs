using Google.Protobuf;
using FileSwarm.Rpc;

namespace FileSwarm.Protocol.V1;

/// <summary>Produces a block's bytes into <paramref name="destination"/>, which is exactly the block's length.</summary>
public delegate void BlockSource(Span<byte> destination);

/// <summary>
/// A block response can be deferred (<see cref="Deferred"/>): its bytes are produced when the response is sent,
/// straight into the transport's buffer, so serving a block reads the file once into the HTTP/2 pipe with no buffer
/// or copy of its own. A deferred response's <see cref="Data"/> stays empty; it is meant only to be returned from a
/// server handler, whose RPC server writes it through <see cref="ISelfSerializingMessage"/>.
/// </summary>
public sealed partial class GetBlockResponse : ISelfSerializingMessage
{
    private const byte DataTag = (DataFieldNumber << 3) | 2;

    private BlockSource? _source;
    private int _sourceLength;

    /// <summary>A response whose data is <paramref name="length"/> bytes that <paramref name="source"/> writes when the response is sent.</summary>
    public static GetBlockResponse Deferred(int length, BlockSource source)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentNullException.ThrowIfNull(source);
        return new GetBlockResponse { _source = source, _sourceLength = length };
    }

    int ISelfSerializingMessage.SerializedSize =>
        _source is null ? CalculateSize() : _sourceLength == 0 ? 0 : 1 + CodedOutputStream.ComputeLengthSize(_sourceLength) + _sourceLength;

    void ISelfSerializingMessage.WriteTo(Span<byte> destination)
    {
        if (_source is null)
        {
            MessageExtensions.WriteTo(this, destination);
            return;
        }

        if (_sourceLength == 0)
        {
            return;
        }

        // Field 1 (data), length-delimited: the tag, the length as a varint, then the bytes.
        destination[0] = DataTag;
        var length = (uint)_sourceLength;
        var position = 1;
        while (length >= 0x80)
        {
            destination[position++] = (byte)(length | 0x80);
            length >>= 7;
        }

        destination[position++] = (byte)length;
        _source(destination[position..]);
    }
}
