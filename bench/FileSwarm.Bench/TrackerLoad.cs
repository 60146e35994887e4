using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc.Client;
using Google.Protobuf;

/// <summary>
/// <c>tracker-load</c>: fills a FileSwarm tracker for bench/tracker/capacity.sh and bench/memory/run.sh.
/// Registers <c>--files</c> synthetic handlers (file i: 64 pieces of 16 KiB, name <c>bench-i</c>), announces
/// <c>--peers</c> distinct peers spread round-robin over them (STARTED, half the pieces each), and optionally writes
/// <c>--bodies</c> gRPC-framed Announce request bodies into <c>--out</c> (body k: peer <c>h2load-k</c> on file
/// k·7919 mod files, UPDATE with a bitfield) for h2load, plus <c>hashes.txt</c> (every info-hash, hex, one a line).
/// Deterministic: the same arguments give the same handlers and bodies.
/// </summary>
internal static class TrackerLoad
{
    private const int PieceCount = 64;
    private const int PieceLength = 16 * 1024;

    public static async Task<int> RunAsync(Dictionary<string, string> options)
    {
        var target = options["target"];
        var files = int.Parse(options.GetValueOrDefault("files", "10000"), CultureInfo.InvariantCulture);
        var peers = int.Parse(options.GetValueOrDefault("peers", "100000"), CultureInfo.InvariantCulture);
        var bodies = int.Parse(options.GetValueOrDefault("bodies", "0"), CultureInfo.InvariantCulture);
        var concurrency = int.Parse(options.GetValueOrDefault("concurrency", "32"), CultureInfo.InvariantCulture);
        var output = options.GetValueOrDefault("out", ".");
        using var channel = RpcChannel.ForAddress(target);
        var client = new TrackerClient(channel);

        var clock = Stopwatch.StartNew();
        var hashes = new string[files];
        await ForAllAsync(files, concurrency, async i =>
        {
            var response = await client.RegisterFileAsync(new RegisterFileRequest { Torrent = ByteString.CopyFrom(Torrent(i)) });
            hashes[i] = response.File.Hash;
        });
        var registered = clock.Elapsed.TotalSeconds;

        var half = new byte[PieceCount / 8];
        for (var b = 0; b < half.Length; b += 2)
        {
            half[b] = 0xFF;
        }

        var bitfield = ByteString.CopyFrom(half);
        await ForAllAsync(peers, concurrency, i => client.AnnounceAsync(new AnnounceRequest
        {
            InfoHash = hashes[i % files],
            PeerId = $"bench-{i}",
            AdvertiseAddress = $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}:6881",
            Event = AnnounceRequest.Types.Event.Started,
            Bitfield = bitfield,
            NumWant = 1,
        }));
        var announced = clock.Elapsed.TotalSeconds - registered;

        if (bodies > 0)
        {
            Directory.CreateDirectory(output);
            await File.WriteAllLinesAsync(Path.Combine(output, "hashes.txt"), hashes);
            for (var k = 0; k < bodies; k++)
            {
                var request = new AnnounceRequest
                {
                    InfoHash = hashes[(int)((long)k * 7919 % files)],
                    PeerId = $"h2load-{k}",
                    AdvertiseAddress = $"192.168.{k >> 8 & 255}.{k & 255}:6881",
                    Event = AnnounceRequest.Types.Event.Update,
                    Bitfield = bitfield,
                };
                var message = request.ToByteArray();
                var framed = new byte[5 + message.Length];
                BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
                message.CopyTo(framed, 5);
                await File.WriteAllBytesAsync(Path.Combine(output, $"announce-{k}.bin"), framed);

                // h2load sees only HTTP status 200; check the gRPC status of each body once here.
                await client.AnnounceAsync(request);
            }
        }

        Console.WriteLine($"registered {files} files in {registered:F1} s, announced {peers} peers in {announced:F1} s ({peers / Math.Max(announced, 1e-9):F0}/s at concurrency {concurrency}){(bodies > 0 ? $", wrote {bodies} bodies to {output}" : "")}");
        return 0;
    }

    /// <summary>A minimal single-file metainfo, unique per index (its piece hashes derive from it).</summary>
    private static byte[] Torrent(int index)
    {
        var name = $"bench-{index.ToString(CultureInfo.InvariantCulture)}";
        var pieces = new byte[PieceCount * 20];
        for (var p = 0; p < PieceCount; p++)
        {
            SHA1.HashData(Encoding.ASCII.GetBytes($"{index}:{p}"), pieces.AsSpan(p * 20, 20));
        }

        using var stream = new MemoryStream();
        void Write(string text) => stream.Write(Encoding.ASCII.GetBytes(text));
        Write($"d4:infod6:lengthi{PieceCount * PieceLength}e4:name{name.Length}:{name}12:piece lengthi{PieceLength}e6:pieces{pieces.Length}:");
        stream.Write(pieces);
        Write("ee");
        return stream.ToArray();
    }

    private static async Task ForAllAsync(int count, int concurrency, Func<int, Task> action)
    {
        var next = -1;
        var workers = Enumerable.Range(0, Math.Max(1, concurrency)).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await action(i);
            }
        });
        await Task.WhenAll(workers);
    }
}
