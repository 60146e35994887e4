using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace FileSwarm.Rpc.Internal;

/// <summary>
/// The wire rules of gRPC over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md) as pure functions:
/// header names, <c>grpc-timeout</c>, <c>grpc-message</c> percent-encoding, <c>-bin</c> values
/// and the mappings from HTTP status and RST_STREAM codes to gRPC status codes.
/// </summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string StatusDetailsHeader = "grpc-status-details-bin";
    public const string TeHeader = "te";
    public const string TeTrailers = "trailers";
    public const string IdentityEncoding = "identity";

    /// <summary>Encodings FileSwarm can read; it always sends identity.</summary>
    public const string AcceptedEncodings = "identity,gzip,deflate";

    public const int MessageHeaderSize = 5;
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>HTTP/2 error codes (RFC 9113 §7) that gRPC maps.</summary>
    public const long Http2Cancel = 0x8;
    public const long Http2RefusedStream = 0x7;
    public const long Http2EnhanceYourCalm = 0xB;
    public const long Http2InadequateSecurity = 0xC;

    private const long MaxTimeoutValue = 99_999_999;

    /// <summary>True for <c>application/grpc</c>, <c>application/grpc+proto</c> and <c>application/grpc;…</c>.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (contentType.Length == ContentType.Length)
        {
            return true;
        }

        var next = contentType[ContentType.Length];
        return next is '+' or ';';
    }

    /// <summary>Headers a call's custom metadata must not carry: pseudo-headers, transport and gRPC-reserved ones.</summary>
    public static bool IsReservedHeader(string name) =>
        name.StartsWith(':')
        || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-type", StringComparison.OrdinalIgnoreCase)
        || name.Equals("te", StringComparison.OrdinalIgnoreCase)
        || name.Equals("host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("user-agent", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("accept-encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("date", StringComparison.OrdinalIgnoreCase)
        || name.Equals("server", StringComparison.OrdinalIgnoreCase)
        || name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Encodes a timeout as at most 8 digits and a unit, rounding up so a deadline is never earlier
    /// on the server than on the client. Non-positive timeouts become <c>1n</c>.
    /// </summary>
    public static string EncodeTimeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return "1n";
        }

        var ticks = timeout.Ticks; // 100 ns each
        if (ticks <= MaxTimeoutValue / 100)
        {
            return (ticks * 100).ToString(CultureInfo.InvariantCulture) + "n";
        }

        ReadOnlySpan<(long TicksPerUnit, char Unit)> units =
        [
            (TimeSpan.TicksPerMicrosecond, 'u'),
            (TimeSpan.TicksPerMillisecond, 'm'),
            (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMinute, 'M'),
            (TimeSpan.TicksPerHour, 'H'),
        ];
        foreach (var (perUnit, unit) in units)
        {
            var value = DivideRoundingUp(ticks, perUnit);
            if (value <= MaxTimeoutValue)
            {
                return value.ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return MaxTimeoutValue.ToString(CultureInfo.InvariantCulture) + "H";
    }

    /// <summary>Parses <c>grpc-timeout</c>: 1–8 ASCII digits and one of <c>H M S m u n</c>.</summary>
    public static bool TryParseTimeout(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (value is null || value.Length < 2 || value.Length > 9)
        {
            return false;
        }

        long amount = 0;
        for (var i = 0; i < value.Length - 1; i++)
        {
            var c = value[i];
            if (c is < '0' or > '9')
            {
                return false;
            }

            amount = (amount * 10) + (c - '0');
        }

        const long maxTicks = long.MaxValue / 2;
        double ticks = value[^1] switch
        {
            'H' => amount * (double)TimeSpan.TicksPerHour,
            'M' => amount * (double)TimeSpan.TicksPerMinute,
            'S' => amount * (double)TimeSpan.TicksPerSecond,
            'm' => amount * (double)TimeSpan.TicksPerMillisecond,
            'u' => amount * (double)TimeSpan.TicksPerMicrosecond,
            'n' => amount / 100.0,
            _ => -1,
        };
        if (ticks < 0)
        {
            return false;
        }

        timeout = TimeSpan.FromTicks((long)Math.Min(Math.Ceiling(ticks), maxTicks));
        return true;
    }

    /// <summary>Percent-encodes a status message: UTF-8, bytes 0x20–0x7E except '%' as they are, the rest as %XX.</summary>
    public static string EncodeMessage(string message)
    {
        var needs = false;
        foreach (var c in message)
        {
            if (c < 0x20 || c > 0x7E || c == '%')
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return message;
        }

        var bytes = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(bytes.Length * 2);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(HexUpper(b >> 4)).Append(HexUpper(b & 0xF));
            }
        }

        return builder.ToString();
    }

    /// <summary>Decodes a percent-encoded status message; malformed escapes are kept as they are, never an error.</summary>
    public static string DecodeMessage(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded))
        {
            return string.Empty;
        }

        if (!encoded.Contains('%'))
        {
            return encoded;
        }

        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '%' && i + 2 < encoded.Length
                && HexValue(encoded[i + 1]) is var hi and >= 0 && HexValue(encoded[i + 2]) is var lo and >= 0)
            {
                bytes.Add((byte)((hi << 4) | lo));
                i += 2;
            }
            else if (c <= 0x7F)
            {
                bytes.Add((byte)c);
            }
            else
            {
                // Not valid on the wire, but never fail: keep the character.
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>Base64 without padding, as gRPC sends <c>-bin</c> values.</summary>
    public static string EncodeBinaryHeader(ReadOnlySpan<byte> value) => Convert.ToBase64String(value).TrimEnd('=');

    /// <summary>Decodes a <c>-bin</c> value, padded or not.</summary>
    public static bool TryDecodeBinaryHeader(string value, out byte[] bytes)
    {
        var trimmed = value.Trim();
        var padding = (4 - (trimmed.Length % 4)) % 4;
        if (padding == 3)
        {
            bytes = [];
            return false;
        }

        var text = padding == 0 ? trimmed : trimmed + new string('=', padding);
        var buffer = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
        if (Convert.TryFromBase64String(text, buffer, out var written))
        {
            bytes = buffer.AsSpan(0, written).ToArray();
            return true;
        }

        bytes = [];
        return false;
    }

    /// <summary>Adds a header's value(s) to metadata, splitting comma-joined <c>-bin</c> values before decoding.</summary>
    public static void AddHeaderToMetadata(Metadata metadata, string name, IEnumerable<string> values)
    {
        if (IsReservedHeader(name))
        {
            return;
        }

        var key = name.ToLowerInvariant();
        var binary = Metadata.IsBinaryKey(key);
        foreach (var value in values)
        {
            if (!binary)
            {
                if (IsPrintableAscii(value))
                {
                    metadata.Add(key, value);
                }

                continue;
            }

            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (TryDecodeBinaryHeader(part, out var bytes))
                {
                    metadata.Add(key, bytes);
                }
            }
        }
    }

    /// <summary>The status a client reports when a response carries no <c>grpc-status</c>.</summary>
    public static StatusCode FromHttpStatus(int httpStatus) => httpStatus switch
    {
        400 or 431 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    /// <summary>The status a client reports when the server resets the stream with this HTTP/2 error code.</summary>
    public static StatusCode FromHttp2ErrorCode(long errorCode) => errorCode switch
    {
        Http2Cancel => StatusCode.Cancelled,
        Http2RefusedStream => StatusCode.Unavailable,
        Http2EnhanceYourCalm => StatusCode.ResourceExhausted,
        Http2InadequateSecurity => StatusCode.PermissionDenied,
        _ => StatusCode.Internal,
    };

    /// <summary>Parses <c>grpc-status</c>; codes outside 0–16 are not gRPC statuses and read as UNKNOWN.</summary>
    public static bool TryParseStatus(string? value, out StatusCode code)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && number <= (int)StatusCode.Unauthenticated)
        {
            code = (StatusCode)number;
            return true;
        }

        code = StatusCode.Unknown;
        return false;
    }

    public static string StatusToString(StatusCode code) => ((int)code).ToString(CultureInfo.InvariantCulture);

    private static bool IsPrintableAscii(string value)
    {
        foreach (var c in value)
        {
            if (c is < (char)0x20 or > (char)0x7E)
            {
                return false;
            }
        }

        return true;
    }

    // Not (value + divisor - 1) / divisor: that overflows for timeouts near TimeSpan.MaxValue.
    private static long DivideRoundingUp(long value, long divisor) => (value / divisor) + (value % divisor == 0 ? 0 : 1);

    private static char HexUpper(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
