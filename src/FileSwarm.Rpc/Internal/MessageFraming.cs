using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Google.Protobuf;

namespace FileSwarm.Rpc.Internal;

/// <summary>
/// The length-prefixed message framing of gRPC: 1 byte compressed flag, 4 bytes big-endian length,
/// then the message. Pure functions over buffers; the I/O loops live in the server and client.
/// </summary>
internal static class MessageFraming
{
    /// <summary>
    /// Takes one message off the front of <paramref name="buffer"/> when it is all there. The size
    /// limit is checked as soon as the 5-byte header is, before anything is buffered for the body.
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED for an oversized message, INTERNAL for a bad flag.</exception>
    public static bool TryReadMessage(ref ReadOnlySequence<byte> buffer, int? maxSize, out bool compressed, out ReadOnlySequence<byte> payload)
    {
        compressed = false;
        payload = default;
        if (buffer.Length < GrpcProtocol.MessageHeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[GrpcProtocol.MessageHeaderSize];
        buffer.Slice(0, GrpcProtocol.MessageHeaderSize).CopyTo(header);
        var flag = header[0];
        if (flag > 1)
        {
            throw new RpcException(StatusCode.Internal, $"Invalid compressed-flag value {flag} in message header.");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        var limit = maxSize ?? int.MaxValue;
        if (length > (uint)limit)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted,
                $"Received message exceeds the maximum configured message size ({length} > {limit} bytes).");
        }

        if (buffer.Length < GrpcProtocol.MessageHeaderSize + length)
        {
            return false;
        }

        compressed = flag == 1;
        payload = buffer.Slice(GrpcProtocol.MessageHeaderSize, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>Messages up to this size (header included) are written into one span of the writer; larger ones
    /// piecewise, so that a huge message never asks for one huge buffer.</summary>
    internal const int ContiguousWriteLimit = (1024 * 1024) + 64;

    /// <summary>
    /// Writes a message with its header into <paramref name="writer"/> without compression; an
    /// <see cref="ISelfSerializingMessage"/> writes itself into one span, whatever its size.
    /// </summary>
    public static int WriteMessage(IBufferWriter<byte> writer, IMessage message, int? maxSendSize)
    {
        var self = message as ISelfSerializingMessage;
        var size = self?.SerializedSize ?? message.CalculateSize();
        if (maxSendSize is { } limit && size > limit)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted,
                $"Sending message exceeds the maximum configured message size ({size} > {limit} bytes).");
        }

        var total = size + GrpcProtocol.MessageHeaderSize;
        if (self is not null || total <= ContiguousWriteLimit)
        {
            // One span for the whole message: a pipe hands out small blocks (Kestrel's are 4 KiB) unless asked for
            // more, and writing a block-sized message piecewise cost a segment, a lock and a pool round trip per 4 KiB.
            var span = writer.GetSpan(total)[..total];
            var payload = span[GrpcProtocol.MessageHeaderSize..];
            if (self is not null)
            {
                self.WriteTo(payload);
            }
            else
            {
                message.WriteTo(payload);
            }

            span[0] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)size);
            writer.Advance(total);
            return total;
        }

        var header = writer.GetSpan(GrpcProtocol.MessageHeaderSize);
        header[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)size);
        writer.Advance(GrpcProtocol.MessageHeaderSize);
        message.WriteTo(writer);
        return total;
    }

    /// <summary>
    /// Parses a received message, decompressing it first when its flag says so. A compressed message
    /// needs an encoding this side can read; the decompressed size is held to the same limit.
    /// </summary>
    public static T Parse<T>(MessageParser<T> parser, in ReadOnlySequence<byte> payload, bool compressed, string? encoding, int? maxSize)
        where T : IMessage<T> =>
        Decode(parser, static (p, bytes) => p.ParseFrom(bytes), payload, compressed, encoding, maxSize);

    /// <summary>
    /// Hands a received message's serialized bytes to <paramref name="decode"/> (decompressed first, as for
    /// <see cref="Parse"/>). Protobuf errors it throws become INTERNAL.
    /// </summary>
    public static T Decode<TState, T>(TState state, Func<TState, ReadOnlySequence<byte>, T> decode, in ReadOnlySequence<byte> payload, bool compressed, string? encoding, int? maxSize)
    {
        try
        {
            if (!compressed)
            {
                return decode(state, payload);
            }

            if (encoding is null || encoding == GrpcProtocol.IdentityEncoding)
            {
                throw new RpcException(StatusCode.Internal, "Received a compressed message without a grpc-encoding to read it with.");
            }

            if (!IsSupportedEncoding(encoding))
            {
                throw new RpcException(StatusCode.Internal, $"Received a message compressed with '{encoding}', which this side cannot read.");
            }

            return DecodeCompressed(state, decode, payload, encoding, maxSize ?? int.MaxValue);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Failed to deserialize the message."), new Metadata(), ex);
        }
    }

    /// <summary>True for the encodings FileSwarm can decompress.</summary>
    public static bool IsSupportedEncoding(string? encoding) =>
        encoding is null or GrpcProtocol.IdentityEncoding or "gzip" or "deflate";

    private static T DecodeCompressed<TState, T>(TState state, Func<TState, ReadOnlySequence<byte>, T> decode, in ReadOnlySequence<byte> payload, string encoding, int maxSize)
    {
        var input = ArrayPool<byte>.Shared.Rent((int)payload.Length);
        var output = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(4096, (int)payload.Length * 4), Math.Max(4096, maxSize)));
        try
        {
            payload.CopyTo(input);
            using var source = new MemoryStream(input, 0, (int)payload.Length, writable: false);
            using Stream decoder = encoding == "gzip"
                ? new GZipStream(source, CompressionMode.Decompress)
                : new ZLibStream(source, CompressionMode.Decompress);
            var total = 0;
            while (true)
            {
                if (total == output.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(output.Length * 2);
                    output.AsSpan(0, total).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(output);
                    output = bigger;
                }

                var read = decoder.Read(output, total, output.Length - total);
                if (read == 0)
                {
                    break;
                }

                total += read;
                if (total > maxSize)
                {
                    throw new RpcException(
                        StatusCode.ResourceExhausted,
                        $"Received message exceeds the maximum configured message size after decompression (> {maxSize} bytes).");
                }
            }

            return decode(state, new ReadOnlySequence<byte>(output, 0, total));
        }
        catch (InvalidDataException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Failed to decompress the message ({encoding})."), new Metadata(), ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(output);
        }
    }
}
