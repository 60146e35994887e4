using System.Text;

namespace FileSwarm.Tracker.Registry.Internal;

/// <summary>
/// A peer entry's id and address packed into one array, <c>[id length][id UTF-8][address UTF-8]</c>: one object
/// instead of two strings (about 60 bytes instead of 150 for a 40-character id and an IPv4 address).
/// </summary>
internal static class PeerIdentity
{
    /// <summary>The longest peer id stored, in UTF-8 bytes.</summary>
    public const int MaxPeerIdBytes = 255;

    public static byte[] Encode(string peerId, string address)
    {
        ArgumentException.ThrowIfNullOrEmpty(peerId);
        ArgumentException.ThrowIfNullOrEmpty(address);
        var idBytes = Encoding.UTF8.GetByteCount(peerId);
        if (idBytes > MaxPeerIdBytes)
        {
            throw new ArgumentException($"a peer id is at most {MaxPeerIdBytes} UTF-8 bytes, not {idBytes}", nameof(peerId));
        }

        var identity = new byte[1 + idBytes + Encoding.UTF8.GetByteCount(address)];
        identity[0] = (byte)idBytes;
        Encoding.UTF8.GetBytes(peerId, identity.AsSpan(1));
        Encoding.UTF8.GetBytes(address, identity.AsSpan(1 + idBytes));
        return identity;
    }

    /// <summary>An identity with only the id, to look an entry up by id.</summary>
    public static byte[] EncodeIdOnly(string peerId) => Encode(peerId, " ")[..^1];

    public static ReadOnlySpan<byte> Id(byte[] identity) => identity.AsSpan(1, identity[0]);

    public static string PeerId(byte[] identity) => Encoding.UTF8.GetString(Id(identity));

    public static string Address(byte[] identity) => Encoding.UTF8.GetString(identity.AsSpan(1 + identity[0]));

    /// <summary>Compares identities by id only, so that a peer that moved is still the same entry.</summary>
    public sealed class IdComparer : IEqualityComparer<byte[]>
    {
        public static readonly IdComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && Id(x).SequenceEqual(Id(y)));

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(Id(obj));
            return hash.ToHashCode();
        }
    }
}
