using System.Net;
using FileSwarm.Integration.Tests.Infrastructure;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Server;
using Google.Protobuf;
using Xunit.Abstractions;

namespace FileSwarm.Integration.Tests;

/// <summary>A peer that serves corrupted blocks is caught by the piece hashes, struck and dropped.</summary>
public sealed class CorruptPeerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_peer_serving_corrupted_blocks_is_dropped_and_the_file_is_still_correct()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            var source = cluster.CreateFile("corrupt.bin", 2 * 1024 * 1024);
            var content = File.ReadAllBytes(source);
            var seeder = await cluster.StartPeerAsync("seeder", tracker, "--max-upload-rate", "256K");
            var hash = await seeder.UploadAsync(source);

            await using var liar = await LyingPeer.StartAsync(content, 16 * 1024, cluster.Log);
            using var announcing = new CancellationTokenSource();
            var announcer = liar.AnnounceUntilCancelledAsync(tracker.Port, hash, announcing.Token);
            await liar.FirstAnnounce;

            var downloader = await cluster.StartPeerAsync("downloader", tracker);
            await downloader.StartDownloadAsync(hash);
            var done = await downloader.WaitForDownloadAsync(hash, TimeSpan.FromSeconds(90));
            await announcing.CancelAsync();
            await announcer;

            Assert.Equal(content, File.ReadAllBytes(Path.Join(downloader.DownloadsDirectory, "corrupt.bin")));
            Assert.True(liar.BlocksServed > 0, "the lying peer was never asked for a block");
            var stats = done["peer_stats"]!.AsArray().FirstOrDefault(p => (string?)p!["peer_id"] == LyingPeer.PeerId);
            Assert.True(stats is not null, done.ToJsonString());
            Assert.True((int)stats!["strikes"]! > 0, stats.ToJsonString());
            Assert.True((bool)stats["dropped"]!, stats.ToJsonString());
            Assert.Equal(0, (int)stats["pieces_received"]!);
        });
    }

    /// <summary>A test double speaking fileswarm.v1.Peer: claims every piece, serves every block with its bits flipped.</summary>
    private sealed class LyingPeer : IAsyncDisposable
    {
        public const string PeerId = "corrupt-double";

        private readonly RpcServer _server;
        private readonly TaskCompletionSource _firstAnnounce = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ClusterLog _log;
        private int _blocksServed;

        private LyingPeer(RpcServer server, ClusterLog log)
        {
            _server = server;
            _log = log;
        }

        public int BlocksServed => Volatile.Read(ref _blocksServed);

        public Task FirstAnnounce => _firstAnnounce.Task;

        public static async Task<LyingPeer> StartAsync(byte[] content, int pieceLength, ClusterLog log)
        {
            var options = new RpcServerOptions();
            options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
            LyingPeer? self = null;
            var pieces = (content.Length + pieceLength - 1) / pieceLength;
            var service = new RpcServiceBuilder(PeerClient.Service)
                .Unary<GetBitfieldRequest, GetBitfieldResponse>("GetBitfield", (_, _) =>
                    Task.FromResult(new GetBitfieldResponse { Complete = true, PieceCount = (uint)pieces }))
                .Unary<GetBlockRequest, GetBlockResponse>("GetBlock", (request, _) =>
                {
                    var start = ((long)request.Piece * pieceLength) + request.Offset;
                    var data = content.AsSpan((int)start, (int)request.Length).ToArray();
                    for (var i = 0; i < data.Length; i++)
                    {
                        data[i] ^= 0x5a;
                    }

                    Interlocked.Increment(ref self!._blocksServed);
                    return Task.FromResult(new GetBlockResponse { Data = ByteString.CopyFrom(data) });
                });
            var server = new RpcServer(options).AddService(service);
            await server.StartAsync();
            self = new LyingPeer(server, log);
            log.Add("liar", $"lying peer listening on {server.Address}");
            return self;
        }

        public async Task AnnounceUntilCancelledAsync(int trackerPort, string hash, CancellationToken cancellationToken)
        {
            using var channel = RpcChannel.ForAddress($"127.0.0.1:{trackerPort}");
            var tracker = new TrackerClient(channel);
            var port = _server.EndPoints[0].Port;
            var started = false;
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await tracker.AnnounceAsync(new AnnounceRequest
                    {
                        InfoHash = hash,
                        PeerId = PeerId,
                        AdvertiseAddress = $"127.0.0.1:{port}",
                        Port = (uint)port,
                        Event = started ? AnnounceRequest.Types.Event.Update : AnnounceRequest.Types.Event.Started,
                        Complete = true,
                    }, CallOptions.WithTimeout(TimeSpan.FromSeconds(10), cancellationToken));
                    started = true;
                    _firstAnnounce.TrySetResult();
                    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (RpcException e)
                {
                    _log.Add("liar", $"announce failed: {e.Status}");
                    _firstAnnounce.TrySetException(e);
                    throw;
                }
            }
        }

        public async ValueTask DisposeAsync() => await _server.DisposeAsync();
    }
}
