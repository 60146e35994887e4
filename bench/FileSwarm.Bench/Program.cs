using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using FileSwarm.Interop.Testing;
using FileSwarm.Interop.Tests;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Server;
using Google.Protobuf;

// Loopback gRPC benchmark on FileSwarm.Rpc, the twin of tests/interop/node/bench-client.js:
//   server --port N                       serves grpc.testing.TestService, prints "LISTENING <port>"
//   client --target H:P --mode unary|stream --seconds S [--concurrency C] [--size B]
//   tracker-load --target H:P [--files F] [--peers P] [--bodies K --out DIR] [--concurrency C]   (see TrackerLoad.cs)
//   announce-load --target H:P --hashes FILE [--files F] [--peers P] [--concurrency C] [--connections N] [--seconds S]   (see AnnounceLoad.cs)
// The client prints one JSON line with the same fields as the grpc-js client.
var options = ParseArgs(args.Skip(1));
return args.FirstOrDefault() switch
{
    "server" => await ServeAsync(options),
    "client" => await ClientAsync(options),
    "tracker-load" => await TrackerLoad.RunAsync(options),
    "announce-load" => await AnnounceLoad.RunAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: FileSwarm.Bench server --port N | client --target H:P --mode unary|stream --seconds S [--concurrency C] [--size B] | tracker-load --target H:P [--files F] [--peers P] [--bodies K --out DIR] | announce-load --target H:P --hashes FILE [--files F] [--peers P] [--concurrency C] [--connections N] [--seconds S]");
    return 2;
}

static async Task<int> ServeAsync(Dictionary<string, string> options)
{
    var serverOptions = new RpcServerOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 };
    serverOptions.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, int.Parse(options.GetValueOrDefault("port", "0"), CultureInfo.InvariantCulture)));
    await using var server = new RpcServer(serverOptions).AddService(TestServiceImpl.Bind());
    await server.StartAsync();
    Console.WriteLine($"LISTENING {server.EndPoints[0].Port}");
    // Runs until stdin closes or the process is signalled.
    await Console.In.ReadToEndAsync();
    return 0;
}

static async Task<int> ClientAsync(Dictionary<string, string> options)
{
    var target = options["target"];
    var mode = options.GetValueOrDefault("mode", "unary");
    var seconds = double.Parse(options.GetValueOrDefault("seconds", "5"), CultureInfo.InvariantCulture);
    var concurrency = int.Parse(options.GetValueOrDefault("concurrency", mode == "unary" ? "32" : "1"), CultureInfo.InvariantCulture);
    var size = int.Parse(options.GetValueOrDefault("size", mode == "unary" ? "0" : "65536"), CultureInfo.InvariantCulture);
    using var channel = RpcChannel.ForAddress(target, new RpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
    var service = TestReflection.Descriptor.Services.Single(s => s.Name == "TestService");
    var result = mode == "unary"
        ? await UnaryAsync(channel, Method.Create<SimpleRequest, SimpleResponse>(service, "UnaryCall"), seconds, concurrency, size)
        : await StreamAsync(channel, Method.Create<StreamingOutputCallRequest, StreamingOutputCallResponse>(service, "StreamingOutputCall"), seconds, concurrency, size);
    Console.WriteLine(JsonSerializer.Serialize(result));
    return result.TryGetValue("errors", out var errors) && (long)errors! > 0 ? 1 : 0;
}

static async Task<Dictionary<string, object?>> UnaryAsync(RpcChannel channel, Method<SimpleRequest, SimpleResponse> method, double seconds, int concurrency, int size)
{
    var request = new SimpleRequest { ResponseSize = size, Payload = new Payload { Body = ByteString.CopyFrom(new byte[size]) } };
    for (var i = 0; i < Math.Max(10, concurrency); i++)
    {
        await channel.UnaryAsync(method, request, CallOptions.WithTimeout(TimeSpan.FromSeconds(30)));
    }

    var latencies = new List<double>[concurrency];
    long calls = 0, errors = 0;
    var clock = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(seconds);
    var workers = Enumerable.Range(0, concurrency).Select(async w =>
    {
        var mine = latencies[w] = new List<double>(1 << 16);
        while (clock.Elapsed < end && Interlocked.Read(ref calls) < 50_000_000 && Interlocked.Read(ref errors) <= 100)
        {
            var t0 = clock.Elapsed;
            try
            {
                await channel.UnaryAsync(method, request, CallOptions.WithTimeout(TimeSpan.FromSeconds(30)));
                mine.Add((clock.Elapsed - t0).TotalMilliseconds);
                Interlocked.Increment(ref calls);
            }
            catch (RpcException)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }).ToArray();
    await Task.WhenAll(workers);
    var elapsed = clock.Elapsed.TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    return new()
    {
        ["mode"] = "unary",
        ["calls_per_sec"] = Math.Round(calls / elapsed, 1),
        ["p50_ms"] = Math.Round(Percentile(all, 50), 3),
        ["p99_ms"] = Math.Round(Percentile(all, 99), 3),
        ["calls"] = calls,
        ["errors"] = errors,
        ["seconds"] = Math.Round(elapsed, 3),
        ["concurrency"] = concurrency,
        ["size"] = size,
    };
}

static async Task<Dictionary<string, object?>> StreamAsync(
    RpcChannel channel, Method<StreamingOutputCallRequest, StreamingOutputCallResponse> method, double seconds, int concurrency, int size)
{
    var perStream = Math.Max(1, Math.Min(100_000, 64 * 1024 * 1024 / Math.Max(size, 1)));
    StreamingOutputCallRequest Request(int count)
    {
        var request = new StreamingOutputCallRequest();
        for (var i = 0; i < count; i++)
        {
            request.ResponseParameters.Add(new ResponseParameters { Size = size });
        }

        return request;
    }

    var full = Request(perStream);
    using (var warm = channel.ServerStreamingCall(method, Request(Math.Min(perStream, 16))))
    {
        await foreach (var unused in warm.ResponseStream.ReadAllAsync())
        {
        }
    }

    long bytes = 0, responses = 0, streams = 0, errors = 0;
    var clock = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(seconds);
    var workers = Enumerable.Range(0, concurrency).Select(async _ =>
    {
        while (clock.Elapsed < end && Interlocked.Read(ref errors) <= 100)
        {
            Interlocked.Increment(ref streams);
            using var cts = new CancellationTokenSource();
            using var call = channel.ServerStreamingCall(method, full, new CallOptions(CancellationToken: cts.Token));
            try
            {
                while (await call.ResponseStream.MoveNext())
                {
                    Interlocked.Add(ref bytes, call.ResponseStream.Current.Payload.Body.Length);
                    Interlocked.Increment(ref responses);
                    if (clock.Elapsed >= end)
                    {
                        await cts.CancelAsync();
                        break;
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }).ToArray();
    await Task.WhenAll(workers);
    var elapsed = clock.Elapsed.TotalSeconds;
    return new()
    {
        ["mode"] = "stream",
        ["mb_per_sec"] = Math.Round(bytes / 1e6 / elapsed, 2),
        ["responses_per_sec"] = Math.Round(responses / elapsed, 1),
        ["bytes"] = bytes,
        ["streams"] = streams,
        ["errors"] = errors,
        ["seconds"] = Math.Round(elapsed, 3),
        ["concurrency"] = concurrency,
        ["size"] = size,
    };
}

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

static Dictionary<string, string> ParseArgs(IEnumerable<string> args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    string? key = null;
    foreach (var arg in args)
    {
        if (arg.StartsWith("--", StringComparison.Ordinal))
        {
            key = arg[2..];
        }
        else if (key is not null)
        {
            result[key] = arg;
            key = null;
        }
    }

    return result;
}
