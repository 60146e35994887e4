using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using FileSwarm.Cli.Output;
using FileSwarm.Tracker;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Cli.Commands;

/// <summary><c>fileswarm tracker [--grpc PORT|ADDR:PORT] [--announce-interval SECONDS] [--etcd URL[,URL]]</c>: run a tracker until Ctrl-C or SIGTERM.</summary>
internal static class TrackerCommand
{
    private const string Verb = "tracker";

    /// <summary>How long calls in progress get to finish after Ctrl-C or SIGTERM (System.CommandLine waits 2 s in all).</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(1.5);

    public static Command Build()
    {
        var grpc = new Option<IPEndPoint>("--grpc")
        {
            Description = $"Port, or ADDRESS:PORT, of the gRPC service (every interface by default; port 0 picks a free one).",
            HelpName = "PORT|ADDR:PORT",
            DefaultValueFactory = _ => new IPEndPoint(IPAddress.Any, TrackerOptions.DefaultPort),
            CustomParser = ParseEndPoint,
        };
        var interval = new Option<int>("--announce-interval")
        {
            Description = "Seconds between a peer's announces; a peer silent for 2.5 intervals is forgotten.",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 30,
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 86400)
                {
                    return seconds;
                }

                result.AddError($"--announce-interval: \"{text}\" is not a whole number of seconds from 1 to 86400");
                return 0;
            },
        };

        var etcd = new Option<string?>("--etcd") { Description = "Keep the registry in etcd (one or more endpoints, e.g. http://127.0.0.1:2379), so several trackers serve the same swarms.", HelpName = "URL[,URL]" };
        var etcdPrefix = new Option<string>("--etcd-prefix") { Description = "Key prefix of the registry in etcd; trackers that share swarms use the same one.", HelpName = "PREFIX", DefaultValueFactory = _ => "/fileswarm/v1/tracker/" };

        var command = new Command(Verb, "Run a tracker: the catalog of handlers and the peers of each file, over gRPC.") { grpc, interval, etcd, etcdPrefix };
        command.SetAction((parse, cancellationToken) => CliErrors.RunAsync(Verb, () => RunAsync(
            parse.GetRequiredValue(grpc),
            TimeSpan.FromSeconds(parse.GetValue(interval)),
            parse.GetValue(etcd),
            parse.GetRequiredValue(etcdPrefix),
            cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(IPEndPoint endPoint, TimeSpan announceInterval, string? etcd, string etcdPrefix, CancellationToken cancellationToken)
    {
        var options = new TrackerOptions { EndPoint = endPoint, AnnounceInterval = announceInterval };
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(LogLevel.Information)
            .AddSimpleConsole(console => console.SingleLine = true)
            // stdout carries the one "listening" line that scripts read; logs go to stderr.
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("FileSwarm.Rpc", LogLevel.Warning));
        await using var registry = etcd is null ? null : CreateEtcdRegistry(etcd, etcdPrefix, options, loggerFactory);
        await using var tracker = new TrackerServer(options, registry, loggerFactory);
        try
        {
            await tracker.StartAsync(cancellationToken);
        }
        catch (Rpc.RpcException e) when (e.InnerException is Etcd.EtcdException etcdError)
        {
            return CliErrors.Fail(Verb, etcdError.Message);
        }

        Console.Out.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"tracker listening on {tracker.EndPoint} (announce interval {options.AnnounceInterval.TotalSeconds} s, peers expire after {options.EffectivePeerTtl.TotalSeconds} s{(registry is null ? "" : $", registry in {registry.Description}")})"));
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C or SIGTERM: the normal way to stop a tracker.
        }

        using var grace = new CancellationTokenSource(StopGrace);
        await tracker.StopAsync(grace.Token);
        return CliErrors.Success;
    }

    private static Tracker.Registry.EtcdSwarmRegistry CreateEtcdRegistry(string endpoints, string prefix, TrackerOptions options, ILoggerFactory loggerFactory)
    {
        Etcd.EtcdClientOptions etcdOptions;
        try
        {
            etcdOptions = new Etcd.EtcdClientOptions { Endpoints = Etcd.EtcdClientOptions.ParseEndpoints(endpoints), LoggerFactory = loggerFactory };
        }
        catch (ArgumentException e)
        {
            throw new UserErrorException(e.Message);
        }

        var client = new Etcd.EtcdClient(etcdOptions);
        return new Tracker.Registry.EtcdSwarmRegistry(client, options.ToRegistryOptions(), etcdOptions: new Tracker.Registry.EtcdRegistryOptions { Prefix = prefix }, ownsClient: true);
    }

    private static IPEndPoint? ParseEndPoint(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= IPEndPoint.MaxPort)
            {
                return new IPEndPoint(IPAddress.Any, port);
            }
        }
        else if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(text.AsSpan("localhost:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var localPort)
            && localPort <= IPEndPoint.MaxPort)
        {
            return new IPEndPoint(IPAddress.Loopback, localPort);
        }
        else if (text.Contains(':', StringComparison.Ordinal) && IPEndPoint.TryParse(text, out var endPoint) && (text.Contains(']', StringComparison.Ordinal) || text.Count(c => c == ':') == 1))
        {
            return endPoint;
        }

        result.AddError($"--grpc: \"{text}\" is not a port (0-65535) or ADDRESS:PORT (e.g. 7070, 127.0.0.1:7070, [::]:7070)");
        return null;
    }
}
