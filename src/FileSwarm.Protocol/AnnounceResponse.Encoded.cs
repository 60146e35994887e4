using FileSwarm.Rpc;
using Google.Protobuf;

namespace FileSwarm.Protocol.V1;

/// <summary>
/// One <see cref="PeerInfo"/> in the wire form it takes inside an <see cref="AnnounceResponse"/> (field 1's tag, its
/// length, then the message), encoded once and then copied as it is into every answer that returns the peer: a tracker
/// hands the same peers out over and over, and building and encoding a <see cref="PeerInfo"/> per peer per answer was
/// a quarter of its work. A single reference, so that a shared copy is read and replaced atomically; the default
/// value is no peer (<see cref="IsEmpty"/>).
/// </summary>
public readonly struct EncodedPeerInfo
{
    private readonly byte[]? _bytes;

    public EncodedPeerInfo(string peerId, string address, bool complete, ReadOnlySpan<byte> bitfield)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(address);
        var idSize = peerId.Length == 0 ? 0 : 1 + CodedOutputStream.ComputeStringSize(peerId);
        var addressSize = address.Length == 0 ? 0 : 1 + CodedOutputStream.ComputeStringSize(address);
        var bitfieldSize = bitfield.IsEmpty ? 0 : 1 + CodedOutputStream.ComputeLengthSize(bitfield.Length) + bitfield.Length;
        var body = idSize + addressSize + (complete ? 2 : 0) + bitfieldSize;

        _bytes = new byte[1 + CodedOutputStream.ComputeLengthSize(body) + body];
        var output = new CodedOutputStream(_bytes);
        output.WriteTag(AnnounceResponse.PeersFieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteLength(body);
        if (idSize > 0)
        {
            output.WriteTag(PeerInfo.PeerIdFieldNumber, WireFormat.WireType.LengthDelimited);
            output.WriteString(peerId);
        }

        if (addressSize > 0)
        {
            output.WriteTag(PeerInfo.AddressFieldNumber, WireFormat.WireType.LengthDelimited);
            output.WriteString(address);
        }

        if (complete)
        {
            output.WriteTag(PeerInfo.CompleteFieldNumber, WireFormat.WireType.Varint);
            output.WriteBool(true);
        }

        if (bitfieldSize > 0)
        {
            output.WriteTag(PeerInfo.BitfieldFieldNumber, WireFormat.WireType.LengthDelimited);
            output.WriteLength(bitfield.Length);
        }

        output.Flush();
        bitfield.CopyTo(_bytes.AsSpan((int)output.Position));
    }

    /// <summary>True for the default value, which holds no peer.</summary>
    public bool IsEmpty => _bytes is null;

    /// <summary>The peer as a field of an <see cref="AnnounceResponse"/>, its tag and length included; empty when <see cref="IsEmpty"/>.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;
}

/// <summary>
/// An announce response can carry peers already encoded (<see cref="WithEncodedPeers"/>); they are written, before
/// any in <see cref="Peers"/>, when the response is sent, and are not in <see cref="Peers"/>: such a response is meant
/// only to be returned from a server handler, whose RPC server writes it through <see cref="ISelfSerializingMessage"/>.
/// </summary>
public sealed partial class AnnounceResponse : ISelfSerializingMessage
{
    private EncodedPeerInfo[]? _encodedPeers;

    /// <summary>A response that will send <paramref name="peers"/>; set its other fields as usual.</summary>
    public static AnnounceResponse WithEncodedPeers(EncodedPeerInfo[] peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        return new AnnounceResponse { _encodedPeers = peers };
    }

    int ISelfSerializingMessage.SerializedSize
    {
        get
        {
            var size = CalculateSize();
            if (_encodedPeers is { } peers)
            {
                foreach (var peer in peers)
                {
                    size += peer.Bytes.Length;
                }
            }

            return size;
        }
    }

    void ISelfSerializingMessage.WriteTo(Span<byte> destination)
    {
        if (_encodedPeers is { } peers)
        {
            foreach (var peer in peers)
            {
                var bytes = peer.Bytes;
                bytes.CopyTo(destination);
                destination = destination[bytes.Length..];
            }
        }

        // The generated code writes field by field in number order: peers (field 1) first, then the counts.
        MessageExtensions.WriteTo(this, destination);
    }
}
