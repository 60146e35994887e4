using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using FileSwarm.Cli.Output;
using FileSwarm.Peer;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Cli.Commands;

/// <summary>
/// <c>fileswarm peer --http PORT --grpc PORT [...]</c>: run a peer (library, piece serving, downloads, local HTTP API)
/// until Ctrl-C or SIGTERM, then leave every swarm cleanly.
/// </summary>
internal static class PeerCommand
{
    private const string Verb = "peer";

    public static Command Build()
    {
        var http = new Option<IPEndPoint>("--http")
        {
            Description = "Port, or ADDRESS:PORT, of the local HTTP API (loopback unless an address is given; port 0 picks a free one).",
            HelpName = "[ADDR:]PORT",
            Required = true,
            CustomParser = r => ParseEndPoint(r, "--http", IPAddress.Loopback),
        };
        var grpc = new Option<IPEndPoint>("--grpc")
        {
            Description = "Port, or ADDRESS:PORT, where other peers fetch pieces (every interface unless an address is given).",
            HelpName = "[ADDR:]PORT",
            Required = true,
            CustomParser = r => ParseEndPoint(r, "--grpc", IPAddress.Any),
        };
        var tracker = new Option<Uri>("--tracker")
        {
            Description = $"The tracker (default http://127.0.0.1:{PeerOptions.DefaultTrackerPort}).",
            HelpName = "URL",
            DefaultValueFactory = _ => new Uri($"http://127.0.0.1:{PeerOptions.DefaultTrackerPort}"),
            CustomParser = ParseTracker,
        };
        var dataDir = new Option<string?>("--data-dir") { Description = "Library and identity (default ~/.local/share/fileswarm/peer-GRPCPORT).", HelpName = "DIR" };
        var downloads = new Option<string?>("--downloads") { Description = "Where downloads go (default DATA-DIR/downloads).", HelpName = "DIR" };
        var maxUploadRate = RateOption("--max-upload-rate", "Cap on bytes per second served to other peers, e.g. 10M, 512K (default none).");
        var maxDownloadRate = RateOption("--max-download-rate", "Cap on bytes per second downloaded, e.g. 10M (default none).");
        var superSeed = new Option<string>("--super-seed")
        {
            Description = "With --max-upload-rate, hand each downloader its own pieces of the files this peer seeds, so each piece leaves it about once (BEP 16 super-seeding): on or off (default on).",
            HelpName = "on|off",
            DefaultValueFactory = _ => "on",
        };
        superSeed.AcceptOnlyFromAmong("on", "off");
        var directIo = new Option<string>("--direct-io")
        {
            Description = "Write downloaded pieces around the page cache (O_DIRECT) where the file system allows it: on or off (default on; off for file systems where direct writes are slow).",
            HelpName = "on|off",
            DefaultValueFactory = _ => "on",
        };
        directIo.AcceptOnlyFromAmong("on", "off");
        var maxUploads = new Option<int>("--max-uploads") { Description = "Blocks served at once (default 16).", HelpName = "N", DefaultValueFactory = _ => 16 };
        var advertise = new Option<string?>("--advertise") { Description = "HOST[:PORT] other peers dial (default: the address the tracker sees).", HelpName = "HOST[:PORT]" };
        var apiToken = new Option<string?>("--api-token") { Description = "Require Authorization: Bearer TOKEN on the HTTP API (needed to bind it beyond loopback).", HelpName = "TOKEN" };
        var shareRoot = new Option<string?>("--share-root") { Description = "Share only files inside this directory.", HelpName = "DIR" };
        var announceInterval = new Option<double?>("--announce-interval")
        {
            Description = "Longest time between announces, in seconds (default: the tracker's interval).",
            HelpName = "SECONDS",
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log every piece served and every announce." };
        var etcd = new Option<string?>("--etcd") { Description = "Discover peers through etcd instead of a tracker: one or more endpoints, e.g. http://127.0.0.1:2379.", HelpName = "URL[,URL]" };
        var etcdPrefix = new Option<string>("--etcd-prefix") { Description = "Key prefix in etcd; peers that should find each other share it.", HelpName = "PREFIX", DefaultValueFactory = _ => "/fileswarm/v1/" };
        var etcdTtl = new Option<int>("--etcd-ttl") { Description = "Seconds of the peer's etcd lease: a dead peer stays listed at most this long.", HelpName = "SECONDS", DefaultValueFactory = _ => 10 };

        var command = new Command(Verb, "Run a peer: share and download files, serve pieces to other peers, answer the local HTTP API.")
        {
            http, grpc, tracker, dataDir, downloads, maxUploadRate, maxDownloadRate, superSeed, directIo, maxUploads, advertise, apiToken, shareRoot, announceInterval, verbose, etcd, etcdPrefix, etcdTtl,
        };
        command.SetAction((parse, cancellationToken) => CliErrors.RunAsync(Verb, () =>
        {
            var grpcEndPoint = parse.GetRequiredValue(grpc);
            Peer.Discovery.EtcdDiscoveryOptions? etcdOptions = null;
            if (parse.GetValue(etcd) is { } endpoints)
            {
                if (parse.GetResult(tracker) is { Implicit: false })
                {
                    return Task.FromResult(CliErrors.Fail(Verb, "--tracker and --etcd exclude each other: discovery goes through one of them"));
                }

                try
                {
                    etcdOptions = new Peer.Discovery.EtcdDiscoveryOptions
                    {
                        Endpoints = Etcd.EtcdClientOptions.ParseEndpoints(endpoints),
                        Prefix = parse.GetRequiredValue(etcdPrefix),
                        LeaseTtl = TimeSpan.FromSeconds(parse.GetValue(etcdTtl)),
                    };
                }
                catch (ArgumentException e)
                {
                    return Task.FromResult(CliErrors.Fail(Verb, e.Message));
                }
            }

            var options = new PeerOptions
            {
                HttpEndPoint = parse.GetRequiredValue(http),
                GrpcEndPoint = grpcEndPoint,
                TrackerAddress = parse.GetRequiredValue(tracker),
                Etcd = etcdOptions,
                DataDirectory = Path.GetFullPath(parse.GetValue(dataDir) ?? PeerOptions.DefaultDataDirectory(grpcEndPoint.Port)),
                DownloadsDirectory = parse.GetValue(downloads) is { } d ? Path.GetFullPath(d) : null,
                MaxUploadRate = parse.GetValue(maxUploadRate),
                MaxDownloadRate = parse.GetValue(maxDownloadRate),
                SuperSeed = parse.GetValue(superSeed) == "on",
                DirectIo = parse.GetValue(directIo) == "on",
                MaxUploads = parse.GetValue(maxUploads),
                Advertise = parse.GetValue(advertise),
                ApiToken = parse.GetValue(apiToken),
                ShareRoot = parse.GetValue(shareRoot) is { } root ? Path.GetFullPath(root) : null,
                MaxAnnounceInterval = parse.GetValue(announceInterval) is { } seconds && double.IsFinite(seconds) && seconds is > 0 and < 86400
                    ? TimeSpan.FromSeconds(seconds)
                    : parse.GetValue(announceInterval) is null ? TimeSpan.FromMinutes(5) : TimeSpan.Zero,
            };
            return RunAsync(options, parse.GetValue(verbose), cancellationToken);
        }));
        return command;
    }

    private static async Task<int> RunAsync(PeerOptions options, bool verbose, CancellationToken cancellationToken)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            return CliErrors.Fail(Verb, e.Message);
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("FileSwarm.Rpc", LogLevel.Warning));
        PeerNode node;
        try
        {
            node = await PeerNode.StartAsync(options, loggerFactory, cancellationToken);
        }
        catch (Etcd.EtcdException e)
        {
            return CliErrors.Fail(Verb, e.Message);
        }

        await using (node)
        {
            Console.Out.WriteLine($"peer http listening on {node.HttpAddress}");
            Console.Out.WriteLine($"peer grpc listening on {Format(node.GrpcEndPoint)}");
            Console.Out.WriteLine($"peer id {node.PeerId}, data in {options.DataDirectory}, downloads in {options.EffectiveDownloadsDirectory}");
            Console.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C or SIGTERM: leave the swarms cleanly below.
            }

            await node.StopAsync();
        }

        return CliErrors.Success;
    }

    private static Option<long?> RateOption(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "RATE",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            var trimmed = text.EndsWith("/s", StringComparison.OrdinalIgnoreCase) ? text[..^2] : text;
            if (!Sizes.TryParse(trimmed, out var bytes) || bytes <= 0)
            {
                result.AddError($"{name}: \"{text}\" is not a rate in bytes per second (e.g. 1048576, 512K, 10M)");
                return null;
            }

            return bytes;
        },
    };

    private static Uri? ParseTracker(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host)
            && uri.AbsolutePath == "/" && !text.Contains(' ', StringComparison.Ordinal))
        {
            return uri;
        }

        result.AddError($"--tracker: \"{text}\" is not a tracker address (e.g. http://127.0.0.1:{PeerOptions.DefaultTrackerPort} or HOST:PORT)");
        return null;
    }

    private static IPEndPoint? ParseEndPoint(ArgumentResult result, string name, IPAddress defaultAddress)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= IPEndPoint.MaxPort)
            {
                return new IPEndPoint(defaultAddress, port);
            }
        }
        else if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(text.AsSpan("localhost:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var localPort)
            && localPort <= IPEndPoint.MaxPort)
        {
            return new IPEndPoint(IPAddress.Loopback, localPort);
        }
        else if (text.Contains(':', StringComparison.Ordinal) && IPEndPoint.TryParse(text, out var endPoint)
            && (text.Contains(']', StringComparison.Ordinal) || text.Count(c => c == ':') == 1))
        {
            return endPoint;
        }

        result.AddError($"{name}: \"{text}\" is not a port (0-65535) or ADDRESS:PORT (e.g. 8000, 127.0.0.1:8000, [::1]:8000)");
        return null;
    }

    private static string Format(IPEndPoint endPoint) =>
        endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]:{endPoint.Port}" : endPoint.ToString();
}
