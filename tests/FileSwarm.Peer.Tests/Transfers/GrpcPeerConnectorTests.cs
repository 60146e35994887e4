using System.Net;
using FileSwarm.Core;
using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Tests.Infrastructure;
using FileSwarm.Peer.Transfers;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Server;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Peer.Tests.Transfers;

/// <summary>The connector against a real <c>fileswarm.v1.Peer</c> server on 127.0.0.1 port 0.</summary>
public sealed class GrpcPeerConnectorTests
{
    private static async Task<RpcServer> StartPeerServerAsync(IPieceStore source, Func<int, int>? lengthOf = null)
    {
        var service = new RpcServiceBuilder(PeerClient.Service)
            .Unary<GetBlockRequest, GetBlockResponse>("GetBlock", (request, _) =>
            {
                if (Sha1Hash.Parse(request.InfoHash) != source.Metainfo.InfoHash)
                {
                    throw new RpcException(StatusCode.NotFound, "unknown file");
                }

                if (!source.HasPiece((int)request.Piece))
                {
                    throw new RpcException(StatusCode.FailedPrecondition, "piece not held");
                }

                var block = new byte[lengthOf?.Invoke((int)request.Length) ?? (int)request.Length];
                source.ReadBlock((int)request.Piece, (int)request.Offset, block.AsSpan(0, Math.Min(block.Length, (int)request.Length)));
                return Task.FromResult(new GetBlockResponse { Data = UnsafeByteOperations.UnsafeWrap(block) });
            })
            .Unary<GetBitfieldRequest, GetBitfieldResponse>("GetBitfield", (_, _) =>
            {
                var bits = source.GetBitfield();
                return Task.FromResult(new GetBitfieldResponse
                {
                    Complete = bits.IsComplete,
                    Bitfield = bits.IsComplete ? ByteString.Empty : ByteString.CopyFrom(bits.AsSpan()),
                    PieceCount = (uint)bits.Length,
                });
            });
        var options = new RpcServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new RpcServer(options).AddService(service);
        await server.StartAsync();
        return server;
    }

    [Fact]
    public async Task Downloads_over_grpc_from_a_seeder_and_a_partial_peer()
    {
        var file = TestFile.Create(40 * 16384 + 1234, 16384, seed: 31);
        await using var seeder = await StartPeerServerAsync(file.Seed());
        await using var partial = await StartPeerServerAsync(file.Partial(p => p % 2 == 1));
        var swarm = new StaticSwarm(
            new SwarmPeer("seeder", $"127.0.0.1:{seeder.EndPoints[0].Port}", true, null),
            new SwarmPeer("partial", $"127.0.0.1:{partial.EndPoints[0].Port}", false, null));
        using var connector = new GrpcPeerConnector(TimeSpan.FromSeconds(10));
        using var store = file.Empty();
        var options = DownloadTests.FastOptions() with { BlockSize = 16384 };
        var download = new Download(store, swarm, connector, options, NullLogger.Instance);

        var progress = await DownloadTests.RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.True(store.IsFinalised);
        Assert.Equal(file.Metainfo.TotalLength, progress.Peers.Sum(p => p.BytesReceived));
        Assert.Equal(2, connector.ChannelCount);
    }

    [Fact]
    public async Task A_block_of_the_wrong_length_is_a_protocol_violation()
    {
        var file = TestFile.Create(2 * 16384, 16384, seed: 32);
        await using var server = await StartPeerServerAsync(file.Seed(), lengthOf: n => n - 1);
        using var connector = new GrpcPeerConnector(TimeSpan.FromSeconds(10));
        var peer = connector.Connect(new SwarmPeer("short", $"127.0.0.1:{server.EndPoints[0].Port}", true, null));

        await Assert.ThrowsAsync<PeerProtocolException>(() => peer.GetBlockAsync(file.Metainfo.InfoHash, 0, 0, new byte[16384], CancellationToken.None));
        var bits = await peer.GetBitfieldAsync(file.Metainfo.InfoHash, 2, "self", new Bitfield(2), CancellationToken.None);
        Assert.True(bits.Pieces.IsComplete);
        Assert.Null(bits.Offered);
        await Assert.ThrowsAsync<PeerProtocolException>(() => peer.GetBitfieldAsync(file.Metainfo.InfoHash, 3, "self", new Bitfield(3), CancellationToken.None));
        var missing = await Assert.ThrowsAsync<RpcException>(() => peer.GetBlockAsync(Sha1Hash.Compute([1]), 0, 0, new byte[16], CancellationToken.None));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public void Connections_share_one_channel_per_address_and_die_with_the_connector()
    {
        var connector = new GrpcPeerConnector();
        connector.Connect(new SwarmPeer("a", "127.0.0.1:1", true, null));
        connector.Connect(new SwarmPeer("b", "127.0.0.1:1", true, null));
        connector.Connect(new SwarmPeer("c", "127.0.0.1:2", true, null));
        Assert.Equal(2, connector.ChannelCount);

        connector.Dispose();

        Assert.Throws<ObjectDisposedException>(() => connector.Connect(new SwarmPeer("a", "127.0.0.1:1", true, null)));
    }

    private sealed class StaticSwarm(params SwarmPeer[] peers) : ISwarm
    {
        public Task<IReadOnlyList<SwarmPeer>> AnnounceAsync(SwarmEvent swarmEvent, Bitfield have, long uploaded, long downloaded, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<SwarmPeer>>(peers);
    }
}
