using System.Diagnostics.Metrics;
using System.Net;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc.Client;
using FileSwarm.Tracker.Tests.Infrastructure;
using Google.Protobuf;

namespace FileSwarm.Tracker.Tests.Service;

/// <summary>The hosted tracker: options checked at start, the periodic sweep, and the metrics.</summary>
public sealed class TrackerServerTests
{
    private static readonly TrackerOptions Loopback = new() { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) };

    [Fact]
    public void The_defaults_are_documented_and_valid()
    {
        var options = new TrackerOptions();
        options.Validate();

        Assert.Equal(new IPEndPoint(IPAddress.Any, 7070), options.EndPoint);
        Assert.Equal(TimeSpan.FromSeconds(30), options.AnnounceInterval);
        Assert.Equal(TimeSpan.FromSeconds(75), options.EffectivePeerTtl);
        Assert.Equal(TimeSpan.FromSeconds(15), options.SweepInterval);
        Assert.Equal(50, options.DefaultPeersReturned);
        Assert.Equal(200, options.MaxPeersReturned);
        Assert.Equal(TimeSpan.FromSeconds(75), options.ToRegistryOptions().PeerTtl);
    }

    public static TheoryData<TrackerOptions, string> BadOptions => new()
    {
        { Loopback with { AnnounceInterval = TimeSpan.Zero }, "announce interval" },
        { Loopback with { AnnounceInterval = TimeSpan.FromMilliseconds(1500) }, "announce interval" },
        { Loopback with { AnnounceInterval = TimeSpan.FromDays(2) }, "announce interval" },
        { Loopback with { PeerTtl = TimeSpan.FromSeconds(30) }, "peer TTL" },
        { Loopback with { SweepInterval = TimeSpan.Zero }, "sweep interval" },
        { Loopback with { SweepInterval = TimeSpan.FromMinutes(10) }, "sweep interval" },
        { Loopback with { MaxPeersReturned = 0 }, "MaxPeersReturned" },
        { Loopback with { DefaultPeersReturned = 500 }, "DefaultPeersReturned" },
        { Loopback with { AnnounceScanLimit = 10 }, "AnnounceScanLimit" },
        { Loopback with { MaxTorrentBytes = 10 }, "MaxTorrentBytes" },
        { Loopback with { MaxPeersPerSwarm = 0 }, "MaxPeersPerSwarm" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_are_refused_at_start_with_a_message_naming_the_setting(TrackerOptions options, string mentions)
    {
        var error = Assert.Throws<ArgumentException>(() => new TrackerServer(options));

        Assert.Contains(mentions, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_peers_are_swept_periodically_on_the_trackers_clock()
    {
        var clock = new FakeTimeProvider();
        await using var server = new TrackerServer(Loopback, timeProvider: clock);
        await server.StartAsync();
        using var channel = new RpcChannel(server.Address);
        var client = new TrackerClient(channel);
        var metainfo = TestTorrents.Create("swept", pieces: 4);
        await client.RegisterFileAsync(new RegisterFileRequest { Torrent = ByteString.CopyFrom(metainfo.ToBytes()) });
        await client.AnnounceAsync(new AnnounceRequest { InfoHash = metainfo.InfoHash.ToString(), PeerId = "gone", AdvertiseAddress = "10.0.0.1:9000", Complete = true });
        Assert.Equal(1, (await server.Registry.GetStatsAsync()).Peers);

        // Only the sweep removes an entry that nobody announces past; it runs when the clock passes a sweep tick.
        await Poll.UntilAsync(async () =>
        {
            clock.Advance(Loopback.SweepInterval);
            return (await server.Registry.GetStatsAsync()).Peers == 0;
        }, "the sweep to remove the expired peer");

        Assert.True(clock.GetUtcNow() - new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) >= Loopback.EffectivePeerTtl, "swept before the peer expired");
        Assert.Equal(new FileSwarm.Tracker.Registry.RegistryStats(1, 0, 0), await server.Registry.GetStatsAsync());
    }

    [Fact]
    public async Task Announces_and_registrations_are_counted()
    {
        await using var server = new TrackerServer(Loopback);
        var announces = new List<(long Value, string? Event, string? Outcome)>();
        long registrations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, server.Metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var tagList = tags.ToArray();
            lock (announces)
            {
                if (instrument.Name == "fileswarm.tracker.announces")
                {
                    announces.Add((value, tagList.Single(t => t.Key == "event").Value as string, tagList.Single(t => t.Key == "outcome").Value as string));
                }
                else if (instrument.Name == "fileswarm.tracker.registrations")
                {
                    registrations += value;
                }
            }
        });
        listener.Start();
        await server.StartAsync();
        using var channel = new RpcChannel(server.Address);
        var client = new TrackerClient(channel);
        var metainfo = TestTorrents.Create("counted", pieces: 4);

        await client.RegisterFileAsync(new RegisterFileRequest { Torrent = ByteString.CopyFrom(metainfo.ToBytes()) });
        await client.RegisterFileAsync(new RegisterFileRequest { Torrent = ByteString.CopyFrom(metainfo.ToBytes()) });
        await client.AnnounceAsync(new AnnounceRequest { InfoHash = metainfo.InfoHash.ToString(), PeerId = "p", AdvertiseAddress = "10.0.0.1:9000", Complete = true, Event = AnnounceRequest.Types.Event.Started });
        await Assert.ThrowsAsync<Rpc.RpcException>(() => client.AnnounceAsync(new AnnounceRequest { InfoHash = "bad", PeerId = "p" }));

        lock (announces)
        {
            Assert.Equal(1, registrations);
            Assert.Equal([(1L, "started", "ok"), (1L, "update", "invalid")], announces);
        }
    }
}
