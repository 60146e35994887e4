using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;

namespace FileSwarm.Tracker.Tests.Service;

/// <summary>Answers whose peers were encoded ahead (<see cref="EncodedPeerInfo"/>) are byte for byte protobuf's own.</summary>
public sealed class EncodedAnnounceResponseTests
{
    private const string Characters = "abcXYZ019_-:.[]é字😀";

    [Fact]
    public void Encoded_peers_serialize_exactly_as_protobuf_serializes_the_same_answer() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
            {
                var random = new Random(seed);
                var infos = Enumerable.Range(0, random.Next(0, 60)).Select(_ => RandomPeer(random)).ToList();
                var (interval, complete, incomplete) = (RandomInt(random), RandomInt(random), RandomInt(random));
                var expected = new AnnounceResponse { IntervalSeconds = interval, Complete = complete, Incomplete = incomplete };
                expected.Peers.AddRange(infos);

                var encoded = AnnounceResponse.WithEncodedPeers(
                    infos.Select(p => new EncodedPeerInfo(p.PeerId, p.Address, p.Complete, p.Bitfield.Span)).ToArray());
                encoded.IntervalSeconds = interval;
                encoded.Complete = complete;
                encoded.Incomplete = incomplete;

                var written = Serialize(encoded);
                return written.SequenceEqual(expected.ToByteArray()) && AnnounceResponse.Parser.ParseFrom(written).Equals(expected);
            })
            .QuickCheckThrowOnFailure();

    [Fact]
    public void Encoded_peers_come_before_those_added_the_usual_way_and_empty_slots_write_nothing()
    {
        var first = new PeerInfo { PeerId = "a", Address = "10.0.0.1:1", Complete = true };
        var second = new PeerInfo { PeerId = "b", Address = "10.0.0.2:2", Bitfield = ByteString.CopyFrom(0x80) };
        var response = AnnounceResponse.WithEncodedPeers([new EncodedPeerInfo("a", "10.0.0.1:1", true, default), default]);
        response.Peers.Add(second);
        response.IntervalSeconds = 30;

        var parsed = AnnounceResponse.Parser.ParseFrom(Serialize(response));

        Assert.Equal([first, second], parsed.Peers);
        Assert.Equal(30, parsed.IntervalSeconds);
        Assert.True(default(EncodedPeerInfo).IsEmpty);
        Assert.True(default(EncodedPeerInfo).Bytes.IsEmpty);
    }

    [Fact]
    public void A_response_built_the_usual_way_serializes_itself_as_protobuf_does()
    {
        var response = new AnnounceResponse { IntervalSeconds = 30, Complete = 2 };
        response.Peers.Add(new PeerInfo { PeerId = "p", Address = "10.0.0.1:9000", Bitfield = ByteString.CopyFrom(1, 2) });

        Assert.Equal(response.ToByteArray(), Serialize(response));
    }

    private static byte[] Serialize(AnnounceResponse response)
    {
        ISelfSerializingMessage self = response;
        var written = new byte[self.SerializedSize];
        self.WriteTo(written);
        return written;
    }

    private static PeerInfo RandomPeer(Random random)
    {
        var complete = random.Next(2) == 0;
        var bitfield = new byte[complete ? 0 : random.Next(0, 300)];
        random.NextBytes(bitfield);
        return new PeerInfo
        {
            PeerId = RandomText(random, 70),
            Address = RandomText(random, 50),
            Complete = complete,
            Bitfield = ByteString.CopyFrom(bitfield),
        };
    }

    private static string RandomText(Random random, int maxLength)
    {
        var runes = Characters.EnumerateRunes().ToArray();
        return string.Concat(Enumerable.Range(0, random.Next(0, maxLength)).Select(_ => runes[random.Next(runes.Length)].ToString()));
    }

    private static int RandomInt(Random random) => random.Next(4) switch
    {
        0 => 0,
        1 => -random.Next(1, int.MaxValue),
        _ => random.Next(1, int.MaxValue),
    };
}
