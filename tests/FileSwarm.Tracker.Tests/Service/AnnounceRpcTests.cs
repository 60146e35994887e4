using FileSwarm.Core.Metainfo;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Tracker.Tests.Infrastructure;
using Google.Protobuf;
using Event = FileSwarm.Protocol.V1.AnnounceRequest.Types.Event;

namespace FileSwarm.Tracker.Tests.Service;

/// <summary>Announce over a real server and client: validation, addresses, answers, and that bad input changes nothing.</summary>
public sealed class AnnounceRpcTests : TrackerServiceTestBase
{
    private const int Pieces = 12;

    [Fact]
    public async Task Peers_see_each_other_with_addresses_bitfields_and_counts()
    {
        var file = await NewFileAsync();
        var seed = await Client.AnnounceAsync(Request(file, "seed", "10.0.0.1:9001", complete: true, Event.Started));
        var leech = await Client.AnnounceAsync(Request(file, "leech", "peer-2.lan:9002", bitfield: TestTorrents.Pieces(Pieces, 3)));
        var third = await Client.AnnounceAsync(Request(file, "third", "[fd00::3]:9003", bitfield: TestTorrents.Pieces(Pieces, 1)));

        Assert.Empty(seed.Peers);
        Assert.Equal(20, seed.IntervalSeconds);
        Assert.Equal("seed", Assert.Single(leech.Peers).PeerId);
        Assert.Equal(2, third.Peers.Count);
        Assert.Equal(1, third.Complete);
        Assert.Equal(2, third.Incomplete);
        var seedInfo = third.Peers.Single(p => p.PeerId == "seed");
        Assert.Equal("10.0.0.1:9001", seedInfo.Address);
        Assert.True(seedInfo.Complete);
        Assert.True(seedInfo.Bitfield.IsEmpty);
        var leechInfo = third.Peers.Single(p => p.PeerId == "leech");
        Assert.Equal("peer-2.lan:9002", leechInfo.Address);
        Assert.Equal(TestTorrents.Pieces(Pieces, 3), leechInfo.Bitfield.ToByteArray());
    }

    [Fact]
    public async Task Without_an_advertised_address_the_source_address_and_port_are_used()
    {
        var file = await NewFileAsync();
        await Client.AnnounceAsync(new AnnounceRequest { InfoHash = file.InfoHash.ToString(), PeerId = "implicit", Port = 9555, Complete = true });

        var answer = await Client.AnnounceAsync(Request(file, "asker", "10.0.0.9:9000", bitfield: TestTorrents.Pieces(Pieces)));

        Assert.Equal("127.0.0.1:9555", Assert.Single(answer.Peers).Address);
    }

    [Fact]
    public async Task An_announce_by_content_sha1_joins_the_files_swarm()
    {
        var file = await NewFileAsync();
        var bySha1 = Request(file, "by-sha1", "10.0.0.1:9000", complete: true);
        bySha1.InfoHash = file.ContentSha1!.Value.ToString().ToUpperInvariant();
        await Client.AnnounceAsync(bySha1);

        var answer = await Client.AnnounceAsync(Request(file, "asker", "10.0.0.2:9000", bitfield: TestTorrents.Pieces(Pieces)));

        Assert.Equal("by-sha1", Assert.Single(answer.Peers).PeerId);
    }

    [Fact]
    public async Task Num_want_defaults_and_is_capped_by_the_options()
    {
        var file = await NewFileAsync();
        for (var i = 0; i < 8; i++)
        {
            await Client.AnnounceAsync(Request(file, $"p{i}", $"10.0.0.{i}:9000", complete: true));
        }

        var byDefault = await Client.AnnounceAsync(Request(file, "asker", "10.0.1.1:9000", bitfield: TestTorrents.Pieces(Pieces)));
        var greedy = Request(file, "asker", "10.0.1.1:9000", bitfield: TestTorrents.Pieces(Pieces));
        greedy.NumWant = 1000;
        var capped = await Client.AnnounceAsync(greedy);

        Assert.Equal(Options.DefaultPeersReturned, byDefault.Peers.Count);
        Assert.Equal(Options.MaxPeersReturned, capped.Peers.Count);
        Assert.Equal(8, capped.Complete);
    }

    [Fact]
    public async Task Stopped_removes_the_peer_and_completed_makes_it_a_seed()
    {
        var file = await NewFileAsync();
        await Client.AnnounceAsync(Request(file, "leaver", "10.0.0.1:9000", bitfield: TestTorrents.Pieces(Pieces, 1)));
        await Client.AnnounceAsync(Request(file, "finisher", "10.0.0.2:9000", bitfield: TestTorrents.Pieces(Pieces, 2)));

        var stopped = await Client.AnnounceAsync(new AnnounceRequest { InfoHash = file.InfoHash.ToString(), PeerId = "leaver", Event = Event.Stopped });
        var completed = await Client.AnnounceAsync(Request(file, "finisher", "10.0.0.2:9000", complete: false, Event.Completed, TestTorrents.AllPieces(Pieces)));
        var answer = await Client.AnnounceAsync(Request(file, "asker", "10.0.0.3:9000", bitfield: TestTorrents.Pieces(Pieces)));

        Assert.Empty(stopped.Peers);
        Assert.Equal(0, stopped.Complete);
        Assert.Equal(1, stopped.Incomplete);
        Assert.Equal(1, completed.Complete);
        var finisher = Assert.Single(answer.Peers);
        Assert.Equal("finisher", finisher.PeerId);
        Assert.True(finisher.Complete);
    }

    [Fact]
    public async Task An_announce_for_an_unknown_file_is_not_found()
    {
        var unknown = TestTorrents.Create("never-registered", Pieces);

        await FailsWithAsync(StatusCode.NotFound, () => Client.AnnounceAsync(Request(unknown, "p", "10.0.0.1:9000", complete: true)));
        await FailsWithAsync(StatusCode.NotFound, () => Client.AnnounceAsync(new AnnounceRequest { InfoHash = unknown.InfoHash.ToString(), PeerId = "p", Event = Event.Stopped }));

        Assert.Equal(0, (await Server.Registry.GetStatsAsync()).Peers);
    }

    public static TheoryData<string, Action<AnnounceRequest>, string> MalformedAnnounces => new()
    {
        { "empty info_hash", r => r.InfoHash = "", "info_hash" },
        { "short info_hash", r => r.InfoHash = r.InfoHash[..39], "info_hash" },
        { "non-hex info_hash", r => r.InfoHash = "z" + r.InfoHash[1..], "info_hash" },
        { "empty peer_id", r => r.PeerId = "", "peer_id" },
        { "65-character peer_id", r => r.PeerId = new string('a', 65), "peer_id" },
        { "peer_id with a space", r => r.PeerId = "a b", "peer_id" },
        { "peer_id with a slash", r => r.PeerId = "../x", "peer_id" },
        { "non-ASCII peer_id", r => r.PeerId = "pèer", "peer_id" },
        { "bitfield too short", r => r.Bitfield = ByteString.CopyFrom(new byte[1]), "bitfield" },
        { "bitfield too long", r => r.Bitfield = ByteString.CopyFrom(new byte[3]), "bitfield" },
        { "empty bitfield for an incomplete peer", r => r.Bitfield = ByteString.Empty, "bitfield" },
        { "spare bits set", r => r.Bitfield = ByteString.CopyFrom([0x00, 0x01]), "bitfield" },
        { "complete but pieces missing", r => { r.Complete = true; r.Bitfield = ByteString.CopyFrom(TestTorrents.Pieces(Pieces, 1)); }, "complete" },
        { "completed event but pieces missing", r => r.Event = Event.Completed, "complete" },
        { "undefined event", r => r.Event = (Event)7, "event" },
        { "negative num_want", r => r.NumWant = -1, "num_want" },
        { "negative uploaded", r => r.Uploaded = -5, "uploaded" },
        { "host without port", r => r.AdvertiseAddress = "peer.lan", "advertise_address" },
        { "port 0", r => r.AdvertiseAddress = "peer.lan:0", "advertise_address" },
        { "port too large", r => r.AdvertiseAddress = "peer.lan:65536", "advertise_address" },
        { "port not a number", r => r.AdvertiseAddress = "peer.lan:http", "advertise_address" },
        { "IPv6 without brackets", r => r.AdvertiseAddress = "fd00::1:9000", "advertise_address" },
        { "bracketed IPv4", r => r.AdvertiseAddress = "[10.0.0.1]:9000", "advertise_address" },
        { "unspecified IPv4", r => r.AdvertiseAddress = "0.0.0.0:9000", "advertise_address" },
        { "unspecified IPv6", r => r.AdvertiseAddress = "[::]:9000", "advertise_address" },
        { "bad IPv4", r => r.AdvertiseAddress = "10.0.0.300:9000", "advertise_address" },
        { "empty label", r => r.AdvertiseAddress = "a..b:9000", "advertise_address" },
        { "label starting with a dash", r => r.AdvertiseAddress = "-a.lan:9000", "advertise_address" },
        { "underscore in host", r => r.AdvertiseAddress = "a_b.lan:9000", "advertise_address" },
        { "URL instead of host:port", r => r.AdvertiseAddress = "http://peer.lan:9000", "advertise_address" },
        { "no address and no port", r => { r.AdvertiseAddress = ""; r.Port = 0; }, "port" },
        { "no address and a port out of range", r => { r.AdvertiseAddress = ""; r.Port = 70000; }, "port" },
    };

    [Theory]
    [MemberData(nameof(MalformedAnnounces))]
    public async Task A_malformed_announce_is_an_invalid_argument_and_changes_nothing(string why, Action<AnnounceRequest> spoil, string mentions)
    {
        var file = await NewFileAsync();
        await Client.AnnounceAsync(Request(file, "bystander", "10.0.0.1:9000", bitfield: TestTorrents.Pieces(Pieces, 4)));
        var request = Request(file, "victim", "10.0.0.2:9000", bitfield: TestTorrents.Pieces(Pieces, 5));
        spoil(request);

        var error = await FailsWithAsync(StatusCode.InvalidArgument, () => Client.AnnounceAsync(request));

        Assert.True(error.Status.Detail.Contains(mentions, StringComparison.Ordinal), $"{why}: \"{error.Status.Detail}\" does not mention {mentions}");
        var check = await Client.AnnounceAsync(Request(file, "checker", "10.0.0.3:9000", bitfield: TestTorrents.Pieces(Pieces)));
        Assert.Equal(["bystander"], check.Peers.Select(p => p.PeerId).ToList());
        Assert.Equal(TestTorrents.Pieces(Pieces, 4), check.Peers[0].Bitfield.ToByteArray());
        Assert.Equal(2, check.Incomplete);
    }

    [Theory]
    [InlineData("peer.lan:9000")]
    [InlineData("PEER-1.Example.COM.:65535")]
    [InlineData("10.1.2.3:1")]
    [InlineData("[fe80::1]:9000")]
    [InlineData("localhost:9000")]
    public async Task Well_formed_advertised_addresses_are_kept_as_given(string address)
    {
        var file = await NewFileAsync();
        await Client.AnnounceAsync(Request(file, "advertiser", address, complete: true));

        var answer = await Client.AnnounceAsync(Request(file, "asker", "10.0.0.2:9000", bitfield: TestTorrents.Pieces(Pieces)));

        Assert.Equal(address, Assert.Single(answer.Peers).Address);
    }

    private async Task<TorrentMetainfo> NewFileAsync()
    {
        var metainfo = TestTorrents.Create($"announce-{Guid.NewGuid():N}", Pieces);
        await RegisterAsync(metainfo);
        return metainfo;
    }

    private static AnnounceRequest Request(TorrentMetainfo file, string peerId, string address, bool complete = false, Event swarmEvent = Event.Update, byte[]? bitfield = null) => new()
    {
        InfoHash = file.InfoHash.ToString(),
        PeerId = peerId,
        AdvertiseAddress = address,
        Complete = complete,
        Event = swarmEvent,
        Bitfield = bitfield is null ? ByteString.Empty : ByteString.CopyFrom(bitfield),
    };
}
