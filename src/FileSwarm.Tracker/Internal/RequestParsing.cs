using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FileSwarm.Core;

namespace FileSwarm.Tracker.Internal;

/// <summary>Pure checks of request fields. Each returns null on success or a message fit for the caller.</summary>
internal static class RequestParsing
{
    public const int MaxPeerIdLength = 64;
    public const int MaxHostLength = 253;

    public static string? ParseHash(string field, string text, out Sha1Hash hash) =>
        Sha1Hash.TryParse(text, out hash)
            ? null
            : $"{field} must be 40 hex characters (an info-hash or a content SHA-1), not {Quote(text)}";

    public static string? CheckPeerId(string peerId)
    {
        if (peerId.Length is 0 or > MaxPeerIdLength || peerId.AsSpan().ContainsAnyExcept(PeerIdChars))
        {
            return $"peer_id must be 1 to {MaxPeerIdLength} characters of [0-9a-zA-Z_-], not {Quote(peerId)}";
        }

        return null;
    }

    /// <summary>Checks <c>host:port</c> where host is a DNS name, an IPv4 address or a bracketed IPv6 address, none unspecified.</summary>
    public static string? CheckHostPort(string text) =>
        IsHostPort(text)
            ? null
            : $"advertise_address must be host:port (a DNS name, an IPv4 address or [IPv6], and a port from 1 to 65535), not {Quote(text)}";

    /// <summary><c>host:port</c> of a connection's source address and the announced port (IPv4-mapped addresses shown as IPv4).</summary>
    public static string FormatEndPoint(IPAddress address, int port)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{address}]:{port.ToString(CultureInfo.InvariantCulture)}"
            : $"{address}:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    public static string Quote(string text) =>
        "\"" + (text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...")) + "\"";

    private static readonly SearchValues<char> PeerIdChars = SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-");
    private static readonly SearchValues<char> LabelChars = SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-");
    private static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");
    private static readonly SearchValues<char> DottedDecimalChars = SearchValues.Create("0123456789.");

    private static bool IsHostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !TryParsePort(text.AsSpan(colon + 1), out _))
        {
            return false;
        }

        var host = text.AsSpan(0, colon);
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            return IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 && !v6.Equals(IPAddress.IPv6Any);
        }

        if (host.ContainsAny(":[]"))
        {
            return false;
        }

        if (IsDottedDecimal(host))
        {
            return IPAddress.TryParse(host, out var v4) && !v4.Equals(IPAddress.Any);
        }

        return IsDnsName(host);
    }

    private static bool TryParsePort(ReadOnlySpan<char> text, out int port)
    {
        port = 0;
        return text.Length is >= 1 and <= 5
            && !text.ContainsAnyExcept(Digits)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port is >= 1 and <= 65535;
    }

    private static bool IsDottedDecimal(ReadOnlySpan<char> host) => !host.ContainsAnyExcept(DottedDecimalChars);

    private static bool IsDnsName(ReadOnlySpan<char> host)
    {
        if (host.EndsWith('.'))
        {
            host = host[..^1];
        }

        if (host.IsEmpty || host.Length > MaxHostLength)
        {
            return false;
        }

        foreach (var range in host.Split('.'))
        {
            var label = host[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-'
                || label.ContainsAnyExcept(LabelChars))
            {
                return false;
            }
        }

        return true;
    }
}
