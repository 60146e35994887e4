using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FileSwarm.Core;
using FileSwarm.Etcd;
using Google.Protobuf;

namespace FileSwarm.Tracker.Registry;

/// <summary>
/// Where <see cref="EtcdSwarmRegistry"/> keeps what, under its prefix P (default <c>/fileswarm/v1/tracker/</c>):
/// <list type="bullet">
/// <item><c>P files/INFOHASH</c> → the .torrent bytes (the catalog entry; the first registration wins).</item>
/// <item><c>P names/NAME \0 INFOHASH</c> → empty: the catalog order (UTF-8 byte order is code point order).</item>
/// <item><c>P sha1/CONTENTSHA1</c> → the info-hash of the first handler registered with that content.</item>
/// <item><c>P swarms/INFOHASH/s/SHA1(PEERID)</c> (seeds) and <c>.../l/SHA1(PEERID)</c> (others) → the peer as JSON:
/// id, address, last-seen (Unix ms) and, for the others, the bitfield (base64). Hashing the id spreads the entries
/// evenly, so a window from a random key is a random sample; the s/l split lets etcd count seeds and others.</item>
/// </list>
/// </summary>
internal sealed class EtcdRegistryLayout(string prefix)
{
    public const string DefaultPrefix = "/fileswarm/v1/tracker/";

    public string Prefix { get; } = prefix.EndsWith('/') ? prefix : prefix + "/";

    public string Files => Prefix + "files/";

    public string Names => Prefix + "names/";

    public string Sha1Index => Prefix + "sha1/";

    public string Swarms => Prefix + "swarms/";

    public string File(Sha1Hash infoHash) => Files + infoHash;

    public string Name(string name, Sha1Hash infoHash) => Names + name + "\0" + infoHash;

    public string ContentSha1(Sha1Hash sha1) => Sha1Index + sha1;

    public string Swarm(Sha1Hash infoHash) => Swarms + infoHash + "/";

    public string Seeds(Sha1Hash infoHash) => Swarm(infoHash) + "s/";

    public string Others(Sha1Hash infoHash) => Swarm(infoHash) + "l/";

    public static string PeerSlot(string peerId) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(peerId)));

    /// <summary>The info-hash of a key under <see cref="Swarms"/>, or null.</summary>
    public Sha1Hash? SwarmOf(ByteString key)
    {
        var rest = EtcdKeys.After(key, Swarms);
        return rest is { Length: > 40 } && Sha1Hash.TryParse(rest.AsSpan(0, 40), out var hash) ? hash : null;
    }

    /// <summary>The info-hash at the end of a <see cref="Names"/> key.</summary>
    public static Sha1Hash InfoHashOfName(ByteString key)
    {
        var text = key.ToStringUtf8();
        return Sha1Hash.Parse(text[(text.LastIndexOf('\0') + 1)..]);
    }

    /// <summary>The name in a <see cref="Names"/> key.</summary>
    public string NameOf(ByteString key)
    {
        var text = key.ToStringUtf8();
        return text[Names.Length..text.LastIndexOf('\0')];
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
