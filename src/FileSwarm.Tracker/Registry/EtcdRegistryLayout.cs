using System.Buffers;
using System.Text.Json;
using FileSwarm.Core;
using Google.Protobuf;

namespace FileSwarm.Tracker.Registry;

/// <summary>
/// Where <see cref="EtcdSwarmRegistry"/> keeps what, under its prefix P (default <c>/fileswarm/v1/tracker/</c>):
/// <list type="bullet">
/// <item><c>P files/INFOHASH</c> → the .torrent bytes (the catalog entry; the first registration wins).</item>
/// <item><c>P sha1/CONTENTSHA1</c> → the info-hash of the first handler registered with that content.</item>
/// <item><c>P swarms/INFOHASH/SHA1(PEERID)</c> → the peer as JSON: id, address, last-seen (Unix ms) and, unless it
/// is complete, the bitfield (base64). One key per peer whatever it holds, so that a peer becoming a seed is one put;
/// hashing the id bounds the key's length whatever the id.</item>
/// </list>
/// </summary>
internal sealed class EtcdRegistryLayout(string prefix)
{
    public const string DefaultPrefix = "/fileswarm/v1/tracker/";

    public string Prefix { get; } = prefix.EndsWith('/') ? prefix : prefix + "/";

    public string Files => Prefix + "files/";

    public string Sha1Index => Prefix + "sha1/";

    public string Swarms => Prefix + "swarms/";

    public string File(Sha1Hash infoHash) => Files + infoHash;

    public string ContentSha1(Sha1Hash sha1) => Sha1Index + sha1;

    public ByteString Peer(Sha1Hash infoHash, Sha1Hash slot) => ByteString.CopyFromUtf8(Swarms + infoHash + "/" + slot);

    /// <summary>Where a peer's entry lives within its swarm: the SHA-1 of its id's UTF-8 bytes.</summary>
    public static Sha1Hash PeerSlot(ReadOnlySpan<byte> peerIdUtf8) => Sha1Hash.Compute(peerIdUtf8);

    /// <summary>The swarm and slot of a key under <see cref="Swarms"/>; false for any other key.</summary>
    public bool TryParsePeer(string key, out Sha1Hash infoHash, out Sha1Hash slot)
    {
        var rest = key.AsSpan();
        slot = default;
        infoHash = default;
        if (!rest.StartsWith(Swarms, StringComparison.Ordinal) || rest.Length != Swarms.Length + 81 || rest[Swarms.Length + 40] != '/')
        {
            return false;
        }

        rest = rest[Swarms.Length..];
        return Sha1Hash.TryParse(rest[..40], out infoHash) && Sha1Hash.TryParse(rest[41..], out slot);
    }
}

/// <summary>A peer entry's value.</summary>
internal readonly record struct StoredPeer(string PeerId, string Address, long SeenUnixMs, byte[]? Pieces)
{
    public ByteString Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(128 + (Pieces?.Length * 2 ?? 0));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", PeerId);
            json.WriteString("address", Address);
            json.WriteNumber("seen", SeenUnixMs);
            if (Pieces is not null)
            {
                json.WriteBase64String("pieces", Pieces);
            }

            json.WriteEndObject();
        }

        return ByteString.CopyFrom(buffer.WrittenSpan);
    }

    /// <summary>Null when the value is not a peer entry (written by something else); such entries are ignored.</summary>
    public static StoredPeer? Decode(ByteString value)
    {
        try
        {
            using var document = JsonDocument.Parse(value.Memory);
            var root = document.RootElement;
            var pieces = root.TryGetProperty("pieces", out var p) ? p.GetBytesFromBase64() : null;
            return new StoredPeer(root.GetProperty("id").GetString()!, root.GetProperty("address").GetString()!, root.GetProperty("seen").GetInt64(), pieces);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
