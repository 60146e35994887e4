using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using FileSwarm.Protocol.V1;
using Google.Protobuf;

/// <summary>
/// <c>announce-load</c>: the FileSwarm twin of bench/tracker/announce.lua, for bench/tracker/capacity.sh. Every request
/// is a random peer of <c>--peers</c> on a random info-hash of <c>--hashes</c> (the file <c>tracker-load</c> writes),
/// an UPDATE with a bitfield (half the pieces, as a leecher with <c>left</c> &gt; 0 in the wrk script) and
/// <c>num_want</c> 50. <c>--concurrency</c> calls stay in flight, spread over <c>--connections</c> HTTP/2 connections,
/// for one warm-up second and then <c>--seconds</c>; the rate is the requests started after warm-up ÷ the time they
/// span, and p50/p99 come from every one of them. Prints "RESULT announces/s p50_ms p99_ms failed" on stdout.
/// </summary>
/// <remarks>
/// h2load cannot vary its body, hence this generator. It shares the host's cores with the tracker, so it keeps its own
/// work small: requests go as raw gRPC-framed HTTP/2 POSTs (no message objects), each body assembled by copying three
/// pre-serialized pieces (the info-hash field, the peer's id and address fields, the rest) into the worker's buffer —
/// protobuf fields may come in any order — and the answer is read into a scratch buffer, not parsed; only its
/// grpc-status is checked. What it still costs is reported (its CPU seconds over the measured window).
/// </remarks>
internal static class AnnounceLoad
{
    private const int PieceCount = 64;

    public static async Task<int> RunAsync(Dictionary<string, string> options)
    {
        var target = options["target"];
        var hashes = await File.ReadAllLinesAsync(options["hashes"]);
        var files = int.Parse(options.GetValueOrDefault("files", hashes.Length.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var peers = int.Parse(options.GetValueOrDefault("peers", "100000"), CultureInfo.InvariantCulture);
        var concurrency = int.Parse(options.GetValueOrDefault("concurrency", "50"), CultureInfo.InvariantCulture);
        var connections = int.Parse(options.GetValueOrDefault("connections", "4"), CultureInfo.InvariantCulture);
        var seconds = double.Parse(options.GetValueOrDefault("seconds", "10"), CultureInfo.InvariantCulture);
        files = Math.Min(files, hashes.Length);

        var fileFields = hashes.Take(files).Select(hash => new AnnounceRequest { InfoHash = hash }.ToByteArray()).ToArray();
        var peerFields = new byte[peers][];
        for (var p = 0; p < peers; p++)
        {
            peerFields[p] = new AnnounceRequest
            {
                PeerId = $"load-{p}",
                AdvertiseAddress = $"172.{16 + ((p >> 16) & 15)}.{(p >> 8) & 255}.{p & 255}:6881",
            }.ToByteArray();
        }

        var half = new byte[PieceCount / 8];
        for (var b = 0; b < half.Length; b += 2)
        {
            half[b] = 0xFF;
        }

        var rest = new AnnounceRequest { Event = AnnounceRequest.Types.Event.Update, Bitfield = ByteString.CopyFrom(half), NumWant = 50 }.ToByteArray();
        var uri = new Uri($"http://{target}/fileswarm.v1.Tracker/Announce");
        var invokers = Enumerable.Range(0, connections).Select(_ => new HttpMessageInvoker(new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
        })).ToArray();

        var warmUp = Stopwatch.Frequency;
        var end = warmUp + (long)(seconds * Stopwatch.Frequency);
        var statuses = new long[17];
        var timings = new List<(long Start, long Duration)>[concurrency];
        var process = Process.GetCurrentProcess();
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var invoker = invokers[w % connections];
            var random = new Random(w);
            var body = new byte[5 + fileFields.Max(f => f.Length) + peerFields.Max(p => p.Length) + rest.Length];
            var scratch = new byte[64 * 1024];
            var mine = timings[w] = new List<(long, long)>(1 << 16);
            long started;
            while ((started = clock.ElapsedTicks) < end)
            {
                var length = Assemble(body, fileFields[random.Next(files)], peerFields[random.Next(peers)], rest);
                using var request = new HttpRequestMessage(HttpMethod.Post, uri)
                {
                    Version = HttpVersion.Version20,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                    Content = new ByteArrayContent(body, 0, length),
                };
                request.Headers.TryAddWithoutValidation("te", "trailers");
                request.Content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
                int status;
                try
                {
                    using var response = await invoker.SendAsync(request, CancellationToken.None);
                    await using (var stream = await response.Content.ReadAsStreamAsync())
                    {
                        while (await stream.ReadAsync(scratch) > 0)
                        {
                        }
                    }

                    status = response.StatusCode != HttpStatusCode.OK ? 2 : GrpcStatus(response);
                }
                catch (HttpRequestException)
                {
                    status = 14;
                }

                if (started >= warmUp)
                {
                    mine.Add((started, clock.ElapsedTicks - started));
                    Interlocked.Increment(ref statuses[status]);
                }
            }
        })).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1));
        var cpuAtWarmUp = process.TotalProcessorTime;
        await Task.WhenAll(workers);
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuAtWarmUp).TotalSeconds;

        var all = timings.SelectMany(t => t).ToArray();
        var span = (double)(all.Max(t => t.Start + t.Duration) - warmUp) / Stopwatch.Frequency;
        var durations = all.Select(t => t.Duration * 1000.0 / Stopwatch.Frequency).Order().ToArray();
        var failed = all.Length - statuses[0];
        var tally = string.Join(", ", statuses.Select((count, code) => (count, code)).Where(s => s.count > 0 && s.code != 0).Select(s => $"{s.count} × grpc-status {s.code}"));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"announce-load: {all.Length} announces in {span:F2} s after 1 s warm-up, {files} files × {peers} peers, {concurrency} in flight on {connections} HTTP/2 connections; failed: {(failed == 0 ? "none" : tally)}; the generator used {cpu:F2} CPU-s ({cpu / span:F2} cores) of the host's {Environment.ProcessorCount}, shared with the tracker"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {all.Length / span:F0} {Percentile(durations, 50):F2} {Percentile(durations, 99):F2} {failed}"));
        foreach (var invoker in invokers)
        {
            invoker.Dispose();
        }

        return 0;
    }

    /// <summary>The gRPC frame of one Announce request into <paramref name="body"/>; returns its length.</summary>
    private static int Assemble(byte[] body, byte[] file, byte[] peer, byte[] rest)
    {
        var span = body.AsSpan(5);
        file.CopyTo(span);
        peer.CopyTo(span[file.Length..]);
        rest.CopyTo(span[(file.Length + peer.Length)..]);
        var length = file.Length + peer.Length + rest.Length;
        body[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)length);
        return 5 + length;
    }

    /// <summary>grpc-status from the trailers, or from the headers of a trailers-only answer; 2 (UNKNOWN) when absent.</summary>
    private static int GrpcStatus(HttpResponseMessage response) =>
        (response.TrailingHeaders.TryGetValues("grpc-status", out var values) || response.Headers.TryGetValues("grpc-status", out values))
        && int.TryParse(values.First(), CultureInfo.InvariantCulture, out var code) && code is >= 0 and <= 16
            ? code
            : 2;

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
