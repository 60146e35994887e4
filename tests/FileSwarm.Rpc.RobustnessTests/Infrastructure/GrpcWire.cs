using System.Buffers.Binary;
using System.IO.Compression;
using FileSwarm.Rpc.RobustnessTests.Http2;
using Google.Protobuf;

namespace FileSwarm.Rpc.RobustnessTests.Infrastructure;

/// <summary>gRPC requests built by hand: headers and length-prefixed messages.</summary>
public static class GrpcWire
{
    public const string EmptyCall = "/grpc.testing.TestService/EmptyCall";
    public const string UnaryCall = "/grpc.testing.TestService/UnaryCall";
    public const string StreamingInputCall = "/grpc.testing.TestService/StreamingInputCall";
    public const string FullDuplexCall = "/grpc.testing.TestService/FullDuplexCall";

    /// <summary>The headers of a well-formed gRPC request, with <paramref name="extra"/> appended.</summary>
    public static List<HeaderField> RequestHeaders(
        string path,
        IEnumerable<HeaderField>? extra = null,
        string method = "POST",
        string contentType = "application/grpc")
    {
        List<HeaderField> headers =
        [
            new(":method", method),
            new(":scheme", "http"),
            new(":path", path),
            new(":authority", "127.0.0.1"),
            new("content-type", contentType),
            new("te", "trailers"),
        ];
        headers.AddRange(extra ?? []);
        return headers;
    }

    /// <summary>A length-prefixed message: flag, 4-byte big-endian length, bytes.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, byte flag = 0, int? announcedLength = null)
    {
        var framed = new byte[5 + payload.Length];
        framed[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)(announcedLength ?? payload.Length));
        payload.CopyTo(framed.AsSpan(5));
        return framed;
    }

    public static byte[] Frame(IMessage message) => Frame(message.ToByteArray());

    public static byte[] Gzip(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
