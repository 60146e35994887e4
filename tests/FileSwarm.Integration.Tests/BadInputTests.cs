using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FileSwarm.Integration.Tests.Infrastructure;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Client;
using Xunit.Abstractions;

namespace FileSwarm.Integration.Tests;

/// <summary>Every malformed request gets a clear error and changes nothing.</summary>
public sealed class BadInputTests(ITestOutputHelper output)
{
    private const string UnknownHash = "0123456789abcdef0123456789abcdef01234567";

    [Fact]
    public async Task Bad_http_requests_get_json_errors_and_change_nothing()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            var shareRoot = Path.Join(cluster.Root, "shared");
            Directory.CreateDirectory(shareRoot);
            var peer = await cluster.StartPeerAsync("peer", tracker, "--share-root", shareRoot);
            var outside = cluster.CreateFile("outside.bin", 40_000);
            File.CreateSymbolicLink(Path.Join(shareRoot, "link.bin"), outside);
            Directory.CreateSymbolicLink(Path.Join(shareRoot, "linkdir"), Path.GetDirectoryName(outside)!);

            var cases = new (HttpMethod Method, string Path, string? Body, HttpStatusCode Status, string Code)[]
            {
                (HttpMethod.Get, $"/files/{UnknownHash}", null, HttpStatusCode.NotFound, "not_found"),
                (HttpMethod.Get, "/files/no-such-name.bin", null, HttpStatusCode.NotFound, "not_found"),
                (HttpMethod.Get, $"/files/{UnknownHash}/torrent", null, HttpStatusCode.NotFound, "not_found"),
                (HttpMethod.Get, "/files/xyz/torrent", null, HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Delete, $"/files/{UnknownHash}", null, HttpStatusCode.NotFound, "not_found"),
                (HttpMethod.Delete, "/files/not-a-hash", null, HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Get, $"/downloads/{UnknownHash}", null, HttpStatusCode.NotFound, "not_found"),
                (HttpMethod.Get, "/downloads/zz", null, HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/download", "{\"hash\": ", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/download", "[1, 2]", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/download", "", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/download", "{\"hash\": 42}", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/download", "{\"hash\": \"abc\"}", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/download", "{\"hash\": \"../../etc/passwd\"}", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/download", "{\"hsah\": \"" + UnknownHash + "\"}", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/download", "{\"hash\": \"" + UnknownHash + "\", \"wait\": \"yes\"}", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/download", "{\"hash\": \"" + UnknownHash + "\"}", HttpStatusCode.NotFound, "not_found"),
                (HttpMethod.Post, "/upload", "{\"name\": ", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/upload", "{\"name\": \"relative/path.bin\"}", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/upload", Json(Path.Join(shareRoot, "missing.bin")), HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/upload", Json(outside), HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/upload", Json(Path.Join(shareRoot, "..", "content", "outside.bin")), HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/upload", Json(Path.Join(shareRoot, "link.bin")), HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/upload", Json(Path.Join(shareRoot, "linkdir", "outside.bin")), HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Post, "/upload", "{\"name\": \"/\"}", HttpStatusCode.BadRequest, "invalid_argument"),
                (HttpMethod.Get, "/no/such/route", null, HttpStatusCode.NotFound, "no_route"),
            };
            foreach (var (method, path, body, status, code) in cases)
            {
                using var request = new HttpRequestMessage(method, new Uri(peer.Http, path));
                if (body is not null)
                {
                    request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                }

                using var response = await cluster.Http.SendAsync(request);
                await AssertErrorAsync(response, status, code, $"{method} {path} {body}");
            }

            // A foreign Host header (DNS rebinding) is refused on every route, even /health.
            foreach (var path in new[] { "/health", "/files", "/downloads" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(peer.Http, path));
                request.Headers.Host = $"attacker.example:{peer.Http.Port}";
                using var response = await cluster.Http.SendAsync(request);
                await AssertErrorAsync(response, HttpStatusCode.Forbidden, "forbidden_host", $"Host attacker.example on {path}");
            }

            using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri(peer.Http, "/health")))
            {
                request.Headers.Host = "localhost:1";
                using var response = await cluster.Http.SendAsync(request);
                await AssertErrorAsync(response, HttpStatusCode.Forbidden, "forbidden_host", "Host with another port");
            }

            // Nothing changed: no file in the library, no download started, nothing written.
            Assert.Equal("0", (string?)(await peer.GetJsonAsync("/downloads"))["count"]);
            Assert.Equal(0, (int)(await peer.GetJsonAsync("/health"))["files"]!);
            Assert.False(Directory.Exists(Path.Join(peer.DataDirectory, "library")) && Directory.EnumerateFileSystemEntries(Path.Join(peer.DataDirectory, "library")).Any());
            Assert.Empty(Directory.EnumerateFileSystemEntries(peer.DownloadsDirectory));
            Assert.Equal("0", (string?)(await peer.GetJsonAsync("/files"))["count"]);

            // A file inside the root is shared, so the refusals above were about the paths.
            File.Copy(outside, Path.Join(shareRoot, "inside.bin"));
            using var inside = await peer.PostAsync("/upload", Json(Path.Join(shareRoot, "inside.bin")));
            Assert.Equal(HttpStatusCode.OK, inside.StatusCode);

            // A second download of a file this peer already holds is not a new download.
            var hash = (string)(await PeerProcess.ReadJsonAsync(inside, HttpStatusCode.OK))["hash"]!;
            using var again = await peer.PostAsync("/download", "{\"hash\": \"" + hash + "\"}");
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal("0", (string?)(await peer.GetJsonAsync("/downloads"))["count"]);
        });
    }

    [Fact]
    public async Task With_a_token_every_route_but_health_needs_it()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            const string Token = "s3cret-token-value";
            var peer = await cluster.StartPeerAsync("peer", tracker, "--api-token", Token);
            var file = cluster.CreateFile("token.bin", 30_000);

            foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
            {
                (HttpMethod.Get, "/files", null),
                (HttpMethod.Get, "/downloads", null),
                (HttpMethod.Post, "/upload", Json(file)),
                (HttpMethod.Post, "/download", "{\"hash\": \"" + UnknownHash + "\"}"),
                (HttpMethod.Delete, $"/files/{UnknownHash}", null),
            })
            {
                foreach (var authorization in new[] { null, "Bearer wrong-token-value", "Basic " + Token, "Bearer " })
                {
                    using var request = new HttpRequestMessage(method, new Uri(peer.Http, path));
                    if (body is not null)
                    {
                        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    }

                    if (authorization is not null)
                    {
                        request.Headers.TryAddWithoutValidation("Authorization", authorization);
                    }

                    using var response = await cluster.Http.SendAsync(request);
                    await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "unauthorized", $"{method} {path} with {authorization ?? "no token"}");
                }
            }

            Assert.Equal(0, (int)(await peer.GetJsonAsync("/health"))["files"]!);
            Assert.False(Directory.Exists(Path.Join(peer.DataDirectory, "library")) && Directory.EnumerateFileSystemEntries(Path.Join(peer.DataDirectory, "library")).Any());

            using var authorized = new HttpRequestMessage(HttpMethod.Post, new Uri(peer.Http, "/upload")) { Content = new StringContent(Json(file)) };
            authorized.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var ok = await cluster.Http.SendAsync(authorized);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        });
    }

    [Fact]
    public async Task An_unreachable_tracker_is_503_and_changes_nothing()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            // Bind and release a port so nothing listens there.
            using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var deadPort = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var peer = await cluster.StartPeerAsync("peer", deadPort);
            var file = cluster.CreateFile("offline.bin", 30_000);

            using var upload = await peer.PostAsync("/upload", Json(file));
            await AssertErrorAsync(upload, HttpStatusCode.ServiceUnavailable, "tracker_unavailable", "upload without tracker");
            using var download = await peer.PostAsync("/download", "{\"hash\": \"" + UnknownHash + "\"}");
            await AssertErrorAsync(download, HttpStatusCode.ServiceUnavailable, "tracker_unavailable", "download without tracker");
            using var list = await peer.GetAsync("/files");
            await AssertErrorAsync(list, HttpStatusCode.ServiceUnavailable, "tracker_unavailable", "list without tracker");

            Assert.Equal(0, (int)(await peer.GetJsonAsync("/health"))["files"]!);
            Assert.Empty(Directory.EnumerateFileSystemEntries(peer.DownloadsDirectory));
        });
    }

    [Fact]
    public async Task Bad_rpc_requests_get_the_documented_status_codes()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            var peer = await cluster.StartPeerAsync("peer", tracker);
            var file = cluster.CreateFile("rpc.bin", 100_000);
            var hash = await peer.UploadAsync(file);
            using var channel = RpcChannel.ForAddress(peer.GrpcAddress);
            var client = new PeerClient(channel);

            async Task ExpectAsync(StatusCode code, Func<Task> call, string what)
            {
                var e = await Assert.ThrowsAsync<RpcException>(call);
                Assert.True(e.StatusCode == code, $"{what}: expected {code}, got {e.Status}");
                Assert.False(string.IsNullOrEmpty(e.Status.Detail), $"{what}: no message");
            }

            await ExpectAsync(StatusCode.NotFound, () => client.GetBlockAsync(new GetBlockRequest { InfoHash = UnknownHash, Length = 10 }), "unknown hash");
            await ExpectAsync(StatusCode.InvalidArgument, () => client.GetBlockAsync(new GetBlockRequest { InfoHash = "../../etc/passwd", Length = 10 }), "bad hash");
            await ExpectAsync(StatusCode.OutOfRange, () => client.GetBlockAsync(new GetBlockRequest { InfoHash = hash, Piece = 7, Length = 10 }), "piece out of range");
            await ExpectAsync(StatusCode.OutOfRange, () => client.GetBlockAsync(new GetBlockRequest { InfoHash = hash, Piece = uint.MaxValue, Length = 10 }), "piece uint.MaxValue");
            await ExpectAsync(StatusCode.OutOfRange, () => client.GetBlockAsync(new GetBlockRequest { InfoHash = hash, Piece = 6, Offset = 0, Length = 16384 }), "past the last piece's end");
            await ExpectAsync(StatusCode.OutOfRange, () => client.GetBlockAsync(new GetBlockRequest { InfoHash = hash, Piece = 0, Offset = 16380, Length = 10 }), "past the piece's end");
            await ExpectAsync(StatusCode.InvalidArgument, () => client.GetBlockAsync(new GetBlockRequest { InfoHash = hash, Piece = 0, Length = 0 }), "zero length");
            await ExpectAsync(StatusCode.InvalidArgument, () => client.GetBlockAsync(new GetBlockRequest { InfoHash = hash, Piece = 0, Length = (1024 * 1024) + 1 }), "over 1 MiB");
            await ExpectAsync(StatusCode.NotFound, () => client.GetBitfieldAsync(new GetBitfieldRequest { InfoHash = UnknownHash }), "bitfield of unknown");
            await ExpectAsync(StatusCode.InvalidArgument, () => client.GetBitfieldAsync(new GetBitfieldRequest { InfoHash = "" }), "bitfield of empty hash");
            await ExpectAsync(StatusCode.NotFound, () => client.GetHandlerAsync(new GetHandlerRequest { Hash = UnknownHash }), "handler of unknown");
            await ExpectAsync(StatusCode.InvalidArgument, () => client.GetHandlerAsync(new GetHandlerRequest { Hash = "xyz" }), "handler of bad hash");

            // The good calls work, so the refusals were about the requests.
            var block = await client.GetBlockAsync(new GetBlockRequest { InfoHash = hash, Piece = 6, Offset = 0, Length = 100_000 - (6 * 16384) });
            Assert.Equal(File.ReadAllBytes(file).AsSpan(6 * 16384).ToArray(), block.Data.ToByteArray());
            var bitfield = await client.GetBitfieldAsync(new GetBitfieldRequest { InfoHash = hash.ToUpperInvariant() });
            Assert.True(bitfield.Complete);
            Assert.Equal(7u, bitfield.PieceCount);
            Assert.Equal(hash, (await client.GetHandlerAsync(new GetHandlerRequest { Hash = hash })).File.Hash);
            Assert.Single((await client.ListFilesAsync(new ListPeerFilesRequest())).Files);

            // A body that is not protobuf, framed correctly, on every method.
            foreach (var method in new[] { "GetBlock", "GetBitfield", "GetHandler", "ListFiles" })
            {
                var (grpcStatus, message) = await RawCallAsync(peer.GrpcAddress, $"/fileswarm.v1.Peer/{method}", [0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
                Assert.True(grpcStatus is "13" or "3", $"{method} with a malformed body: grpc-status {grpcStatus} {message}");
            }

            // A frame that claims more bytes than the limit.
            var (oversized, _) = await RawCallAsync(peer.GrpcAddress, "/fileswarm.v1.Peer/GetBlock", [0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
            Assert.Equal("8", oversized);
            Assert.Equal("1", (string?)(await peer.GetJsonAsync("/health"))["files"]?.ToString());
        });
    }

    [Fact]
    public async Task A_piece_the_peer_does_not_hold_is_failed_precondition()
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            var file = cluster.CreateFile("unheld.bin", 100_000);
            // A handler the tracker knows but nobody serves: the downloader holds no piece of it.
            var metainfo = await FileSwarm.Core.Creation.TorrentCreator.CreateAsync(file, new FileSwarm.Core.Creation.TorrentCreateOptions { PieceLength = 16384 });
            using (var trackerChannel = RpcChannel.ForAddress($"127.0.0.1:{tracker.Port}"))
            {
                await new TrackerClient(trackerChannel).RegisterFileAsync(new RegisterFileRequest { Torrent = Google.Protobuf.ByteString.CopyFrom(metainfo.ToBytes()) });
            }

            var peer = await cluster.StartPeerAsync("peer", tracker);
            var hash = metainfo.InfoHash.ToString();
            await peer.StartDownloadAsync(hash);
            using var conflict = await peer.PostAsync("/download", "{\"hash\": \"" + hash + "\", \"wait\": false}");
            await AssertErrorAsync(conflict, HttpStatusCode.Conflict, "conflict", "second download of the same file");

            using var channel = RpcChannel.ForAddress(peer.GrpcAddress);
            var e = await Assert.ThrowsAsync<RpcException>(() => new PeerClient(channel).GetBlockAsync(new GetBlockRequest { InfoHash = hash, Piece = 0, Length = 100 }));
            Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);

            // Cancelling removes the .part file and the library entry.
            using var delete = await peer.DeleteAsync($"/files/{hash}");
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            Assert.Empty(Directory.EnumerateFileSystemEntries(peer.DownloadsDirectory));
            Assert.Equal("0", (string?)(await peer.GetJsonAsync("/downloads"))["count"]);
        });
    }

    private static string Json(string path) => System.Text.Json.JsonSerializer.Serialize(new { name = path });

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{what}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var json = System.Text.Json.Nodes.JsonNode.Parse(text)!.AsObject();
        Assert.True((string?)json["code"] == code, $"{what}: expected code {code}: {text}");
        Assert.False(string.IsNullOrWhiteSpace((string?)json["message"]), $"{what}: no message: {text}");
    }

    /// <summary>A gRPC call with a hand-made body; returns grpc-status and grpc-message from the trailers (or headers).</summary>
    private static async Task<(string? Status, string? Message)> RawCallAsync(string address, string path, byte[] body)
    {
        using var handler = new SocketsHttpHandler();
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://{address}{path}"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string? Get(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First()
            : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        return (Get("grpc-status"), Get("grpc-message"));
    }
}
