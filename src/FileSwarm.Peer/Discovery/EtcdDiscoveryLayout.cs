using System.Buffers;
using System.Text.Json;
using FileSwarm.Core;
using Google.Protobuf;

namespace FileSwarm.Peer.Discovery;

/// <summary>
/// The keys of etcd discovery under its prefix P (default <c>/fileswarm/v1/</c>); every key is written under the
/// writing peer's lease, so all of a peer's keys vanish together when it dies.
/// <list type="bullet">
/// <item><c>P peers/PEERID</c> → <c>{"address":"host:port"}</c>: the peer's registration.</item>
/// <item><c>P files/INFOHASH/handler</c> → the .torrent bytes. Written by every peer that offers the file; when the
/// lease of the last writer ends, a peer still offering it writes it again (it sees the delete in its watch).</item>
/// <item><c>P files/INFOHASH/peers/PEERID</c> → <c>{"address":..., "complete":bool, "pieces":base64}</c>: what
/// that peer holds (no bitfield once complete).</item>
/// <item><c>P sha1/CONTENTSHA1</c> → the info-hash, for lookups by <c>sha1sum</c> output (same rewriting rule).</item>
/// </list>
/// </summary>
internal sealed class EtcdDiscoveryLayout
{
    public const string DefaultPrefix = "/fileswarm/v1/";

    public EtcdDiscoveryLayout(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        Prefix = prefix.EndsWith('/') ? prefix : prefix + "/";
    }

    public string Prefix { get; }

    public string Peer(string peerId) => Prefix + "peers/" + peerId;

    public string Handler(Sha1Hash infoHash) => Prefix + "files/" + infoHash + "/handler";

    public string FilePeer(Sha1Hash infoHash, string peerId) => Prefix + "files/" + infoHash + "/peers/" + peerId;

    public string ContentSha1(Sha1Hash sha1) => Prefix + "sha1/" + sha1;

    /// <summary>What a key under the prefix is.</summary>
    public ParsedKey Parse(ByteString key)
    {
        var text = key.ToStringUtf8();
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return default;
        }

        var parts = text[Prefix.Length..].Split('/');
        return parts switch
        {
            ["peers", var id] when id.Length > 0 => new ParsedKey(KeyKind.Peer, default, id),
            ["files", var hash, "handler"] when Sha1Hash.TryParse(hash, out var ih) => new ParsedKey(KeyKind.Handler, ih, null),
            ["files", var hash, "peers", var id] when id.Length > 0 && Sha1Hash.TryParse(hash, out var ih) => new ParsedKey(KeyKind.FilePeer, ih, id),
            ["sha1", var hash] when Sha1Hash.TryParse(hash, out var sha1) => new ParsedKey(KeyKind.ContentSha1, sha1, null),
            _ => default,
        };
    }

    public static ByteString PeerValue(string address) => Json(w => w.WriteString("address", address));

    public static ByteString FilePeerValue(string address, bool complete, ReadOnlySpan<byte> pieces)
    {
        var copy = complete ? null : pieces.ToArray();
        return Json(w =>
        {
            w.WriteString("address", address);
            w.WriteBoolean("complete", complete);
            if (copy is not null)
            {
                w.WriteBase64String("pieces", copy);
            }
        });
    }

    /// <summary>(address, complete, pieces) of a file-peer value; null when it does not parse.</summary>
    public static (string Address, bool Complete, byte[]? Pieces)? ReadFilePeer(ByteString value)
    {
        try
        {
            using var document = JsonDocument.Parse(value.Memory);
            var root = document.RootElement;
            var address = root.GetProperty("address").GetString();
            var complete = root.TryGetProperty("complete", out var c) && c.GetBoolean();
            var pieces = root.TryGetProperty("pieces", out var p) ? p.GetBytesFromBase64() : null;
            return string.IsNullOrEmpty(address) ? null : (address, complete, pieces);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    public static string? ReadPeerAddress(ByteString value) => ReadFilePeer(value)?.Address;

    private static ByteString Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return ByteString.CopyFrom(buffer.WrittenSpan);
    }
}

internal enum KeyKind
{
    Other,
    Peer,
    Handler,
    FilePeer,
    ContentSha1,
}

/// <param name="Hash">The info-hash (handler, file peer) or content SHA-1 (sha1 index).</param>
internal readonly record struct ParsedKey(KeyKind Kind, Sha1Hash Hash, string? PeerId);
