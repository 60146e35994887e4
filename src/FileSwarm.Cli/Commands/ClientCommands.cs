using System.CommandLine;
using FileSwarm.Cli.Client;
using FileSwarm.Cli.Output;

namespace FileSwarm.Cli.Commands;

/// <summary>
/// The verbs that talk to a running peer over its local HTTP API: <c>share</c>, <c>get</c>, <c>ls</c>, <c>status</c>, <c>rm</c>.
/// Each takes <c>--peer URL</c> (FILESWARM_PEER; default http://127.0.0.1:8000), <c>--api-token</c> and <c>--json</c>.
/// </summary>
internal static class ClientCommands
{
    public static IEnumerable<Command> Build()
    {
        var share = new Argument<string>("PATH") { Description = "The file or directory to share (the peer reads it from there)." };
        yield return Verb("share", "Share a local file: the peer hashes it, registers it with the tracker and seeds it.", [share],
            (actions, parse, ct) => actions.ShareAsync(parse.GetRequiredValue(share), ct));

        var hash = new Argument<string>("HASH") { Description = "The file's info-hash, or the SHA-1 of its content (40 hex characters)." };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Also copy the finished file into DIR (the peer keeps its copy in its downloads directory and seeds it).",
            HelpName = "DIR",
        };
        var detach = new Option<bool>("--detach", "-d") { Description = "Start the download and return at once; follow it with `fileswarm status`." };
        yield return Verb("get", "Download a file by hash through the peer, with progress (Ctrl-C cancels the download).", [hash, output, detach],
            (actions, parse, ct) => actions.GetAsync(parse.GetRequiredValue(hash), parse.GetValue(output), parse.GetValue(detach), ct));

        yield return Verb("ls", "List the files the tracker knows, marking the ones this peer holds.", [],
            (actions, _, ct) => actions.ListAsync(ct));

        yield return Verb("status", "Show this peer's downloads: state, progress, rate, peers, ETA.", [],
            (actions, _, ct) => actions.StatusAsync(ct));

        var removed = new Argument<string>("HASH") { Description = "The file's info-hash or content SHA-1." };
        yield return Verb("rm", "Stop sharing a file; an unfinished download is cancelled and its partial file deleted.", [removed],
            (actions, parse, ct) => actions.RemoveAsync(parse.GetRequiredValue(removed), ct));
    }

    /// <summary>--peer, parsed from "8000", "HOST:PORT" or a URL.</summary>
    public static Option<Uri> PeerOption() => new("--peer")
    {
        Description = $"The peer's HTTP API (default {PeerClient.DefaultAddress}; env FILESWARM_PEER).",
        HelpName = "URL",
        DefaultValueFactory = _ => new Uri(PeerClient.DefaultAddress),
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (PeerClient.ParseAddress(text) is { } uri)
            {
                return uri;
            }

            result.AddError($"--peer: \"{text}\" is not a peer address (e.g. http://127.0.0.1:8000, 127.0.0.1:8000 or 8000)");
            return null;
        },
    };

    public static Option<string?> TokenOption() => new("--api-token")
    {
        Description = "The peer's API token, when it runs with --api-token (env FILESWARM_API_TOKEN).",
        HelpName = "TOKEN",
    };

    private static Command Verb(string name, string description, Symbol[] symbols, Func<PeerActions, ParseResult, CancellationToken, Task<int>> run)
    {
        var peer = PeerOption();
        var token = TokenOption();
        var json = new Option<bool>("--json") { Description = "Print the peer's answer as JSON, for scripts." };
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
            }
        }

        command.Options.Add(peer);
        command.Options.Add(token);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliErrors.RunAsync(name, async () =>
        {
            using var client = new PeerClient(parse.GetRequiredValue(peer), parse.GetValue(token));
            var actions = new PeerActions(client, Console.Out, Console.Error, parse.GetValue(json), terminal: !Console.IsOutputRedirected);
            return await run(actions, parse, cancellationToken);
        }));
        return command;
    }
}
