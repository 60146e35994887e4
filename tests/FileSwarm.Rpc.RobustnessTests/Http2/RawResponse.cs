using System.Buffers.Binary;

namespace FileSwarm.Rpc.RobustnessTests.Http2;

/// <summary>
/// What one stream received: the first header block, the DATA bytes, the trailing header block (null
/// when the first block ended the stream: Trailers-Only), and how the stream ended.
/// </summary>
public sealed record RawResponse(
    IReadOnlyList<HeaderField> Headers,
    byte[] Data,
    int DataFrameCount,
    IReadOnlyList<HeaderField>? Trailers,
    bool EndStream,
    Http2ErrorCode? ResetCode,
    GoAway? GoAway)
{
    /// <summary>The <c>:status</c> pseudo-header, or null when no headers arrived.</summary>
    public int? HttpStatus => Header(":status") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>One HEADERS block with END_STREAM and no DATA.</summary>
    public bool IsTrailersOnly => Headers.Count > 0 && Trailers is null && EndStream && DataFrameCount == 0;

    /// <summary><c>grpc-status</c> from the trailers, or from the headers of a Trailers-Only response.</summary>
    public int? GrpcStatus => StatusBlock is { } block && Find(block, "grpc-status") is { } s
        ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)
        : null;

    /// <summary><c>grpc-message</c>, percent-decoding left to the caller.</summary>
    public string? GrpcMessage => StatusBlock is { } block ? Find(block, "grpc-message") : null;

    private IReadOnlyList<HeaderField>? StatusBlock => Trailers ?? (EndStream && Trailers is null && DataFrameCount == 0 ? Headers : null);

    public string? Header(string name) => Find(Headers, name);

    public string? Trailer(string name) => Trailers is null ? null : Find(Trailers, name);

    /// <summary>The gRPC messages in the DATA bytes (flag and payload each).</summary>
    public IReadOnlyList<(byte Flag, byte[] Payload)> Messages()
    {
        var messages = new List<(byte, byte[])>();
        var span = Data.AsSpan();
        while (span.Length > 0)
        {
            if (span.Length < 5)
            {
                throw new InvalidDataException($"{span.Length} bytes left over after the last whole message.");
            }

            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(span[1..]);
            if (span.Length < 5 + length)
            {
                throw new InvalidDataException($"Message of {length} bytes is truncated.");
            }

            messages.Add((span[0], span.Slice(5, length).ToArray()));
            span = span[(5 + length)..];
        }

        return messages;
    }

    public override string ToString() =>
        $"headers=[{string.Join(", ", Headers)}] data={Data.Length}B in {DataFrameCount} frame(s) trailers=[{(Trailers is null ? "none" : string.Join(", ", Trailers))}] "
        + $"endStream={EndStream} reset={ResetCode?.ToString() ?? "none"} goAway={GoAway?.ToString() ?? "none"}";

    private static string? Find(IReadOnlyList<HeaderField> block, string name)
    {
        foreach (var field in block)
        {
            if (field.Name == name)
            {
                return field.Value;
            }
        }

        return null;
    }
}
