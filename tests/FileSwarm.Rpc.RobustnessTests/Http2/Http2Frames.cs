using System.Buffers;
using System.Buffers.Binary;

namespace FileSwarm.Rpc.RobustnessTests.Http2;

/// <summary>HTTP/2 frame types (RFC 9113 §6).</summary>
public enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>HTTP/2 error codes (RFC 9113 §7).</summary>
public enum Http2ErrorCode : uint
{
    NoError = 0x0,
    ProtocolError = 0x1,
    InternalError = 0x2,
    FlowControlError = 0x3,
    SettingsTimeout = 0x4,
    StreamClosed = 0x5,
    FrameSizeError = 0x6,
    RefusedStream = 0x7,
    Cancel = 0x8,
    CompressionError = 0x9,
    ConnectError = 0xA,
    EnhanceYourCalm = 0xB,
    InadequateSecurity = 0xC,
    Http11Required = 0xD,
}

/// <summary>Frame flags; their meaning depends on the frame type.</summary>
public static class Http2Flags
{
    public const byte None = 0x0;
    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte Priority = 0x20;
}

/// <summary>SETTINGS identifiers (RFC 9113 §6.5.2).</summary>
public enum Http2SettingId : ushort
{
    HeaderTableSize = 0x1,
    EnablePush = 0x2,
    MaxConcurrentStreams = 0x3,
    InitialWindowSize = 0x4,
    MaxFrameSize = 0x5,
    MaxHeaderListSize = 0x6,
}

/// <summary>One frame as read off the wire; the payload is a copy the frame owns.</summary>
public sealed record Http2Frame(Http2FrameType Type, byte Flags, int StreamId, byte[] Payload)
{
    public bool HasFlag(byte flag) => (Flags & flag) == flag;

    public override string ToString() => $"{Type} flags=0x{Flags:x2} stream={StreamId} length={Payload.Length}";
}

/// <summary>A GOAWAY frame's content.</summary>
public sealed record GoAway(int LastStreamId, Http2ErrorCode ErrorCode, string DebugData);

/// <summary>The wire format of HTTP/2 frames as pure functions over buffers.</summary>
public static class Http2FrameCodec
{
    public const int FrameHeaderSize = 9;
    public const int DefaultMaxFrameSize = 16_384;

    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/>; false (buffer untouched)
    /// when the frame is not all there yet.
    /// </summary>
    /// <exception cref="InvalidDataException">The frame is longer than <paramref name="maxFrameSize"/>.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameSize, out Http2Frame frame)
    {
        frame = null!;
        if (buffer.Length < FrameHeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[FrameHeaderSize];
        buffer.Slice(0, FrameHeaderSize).CopyTo(header);
        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        if (length > maxFrameSize)
        {
            throw new InvalidDataException($"Frame of {length} bytes exceeds the maximum frame size {maxFrameSize}.");
        }

        if (buffer.Length < FrameHeaderSize + length)
        {
            return false;
        }

        var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFF_FFFF);
        var payload = buffer.Slice(FrameHeaderSize, length).ToArray();
        frame = new Http2Frame((Http2FrameType)header[3], header[4], streamId, payload);
        buffer = buffer.Slice(FrameHeaderSize + length);
        return true;
    }

    /// <summary>A whole frame: 9-byte header and payload.</summary>
    public static byte[] EncodeFrame(Http2FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > 0xFF_FFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), "A frame payload is at most 2^24-1 bytes.");
        }

        var frame = new byte[FrameHeaderSize + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = (byte)type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), (uint)streamId & 0x7FFF_FFFF);
        payload.CopyTo(frame.AsSpan(FrameHeaderSize));
        return frame;
    }

    public static byte[] EncodeSettings(IEnumerable<(Http2SettingId Id, uint Value)> settings)
    {
        var list = settings.ToList();
        var payload = new byte[list.Count * 6];
        for (var i = 0; i < list.Count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(i * 6), (ushort)list[i].Id);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan((i * 6) + 2), list[i].Value);
        }

        return payload;
    }

    public static IReadOnlyList<(Http2SettingId Id, uint Value)> ParseSettings(ReadOnlySpan<byte> payload)
    {
        if (payload.Length % 6 != 0)
        {
            throw new InvalidDataException($"SETTINGS payload of {payload.Length} bytes is not a multiple of 6.");
        }

        var settings = new List<(Http2SettingId, uint)>(payload.Length / 6);
        for (var i = 0; i < payload.Length; i += 6)
        {
            settings.Add(((Http2SettingId)BinaryPrimitives.ReadUInt16BigEndian(payload[i..]), BinaryPrimitives.ReadUInt32BigEndian(payload[(i + 2)..])));
        }

        return settings;
    }

    public static byte[] EncodeUInt32(uint value)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, value);
        return payload;
    }

    /// <summary>The error code of a RST_STREAM frame.</summary>
    public static Http2ErrorCode ParseRstStream(ReadOnlySpan<byte> payload) =>
        payload.Length == 4
            ? (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload)
            : throw new InvalidDataException($"RST_STREAM payload must be 4 bytes, not {payload.Length}.");

    /// <summary>The increment of a WINDOW_UPDATE frame.</summary>
    public static int ParseWindowUpdate(ReadOnlySpan<byte> payload) =>
        payload.Length == 4
            ? (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF)
            : throw new InvalidDataException($"WINDOW_UPDATE payload must be 4 bytes, not {payload.Length}.");

    public static GoAway ParseGoAway(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 8)
        {
            throw new InvalidDataException($"GOAWAY payload must be at least 8 bytes, not {payload.Length}.");
        }

        return new GoAway(
            (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF),
            (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload[4..]),
            System.Text.Encoding.UTF8.GetString(payload[8..]));
    }

    /// <summary>The content of a DATA or HEADERS frame without padding (and, for HEADERS, without the priority fields).</summary>
    public static ReadOnlyMemory<byte> UnpaddedContent(Http2Frame frame)
    {
        var start = 0;
        var padding = 0;
        if (frame.HasFlag(Http2Flags.Padded))
        {
            if (frame.Payload.Length < 1)
            {
                throw new InvalidDataException("A padded frame has no pad length.");
            }

            padding = frame.Payload[0];
            start = 1;
        }

        if (frame.Type == Http2FrameType.Headers && frame.HasFlag(Http2Flags.Priority))
        {
            start += 5;
        }

        var length = frame.Payload.Length - start - padding;
        if (length < 0)
        {
            throw new InvalidDataException($"{frame.Type} frame padding exceeds its payload.");
        }

        return frame.Payload.AsMemory(start, length);
    }
}
