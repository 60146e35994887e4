using System.CommandLine;
using FileSwarm.Cli.Commands;
using FileSwarm.Cli.Config;

namespace FileSwarm.Cli;

/// <summary>Composition root: one line per verb; each verb lives in Commands/.</summary>
internal static class Program
{
    /// <summary>Verbs that handle Ctrl-C themselves (the shell cancels a running get; the demo cleans up its processes).</summary>
    private static readonly HashSet<string> OwnSignalHandling = new(StringComparer.Ordinal) { ShellCommand.Verb, DemoCommand.Verb };

    public static int Main(string[] args)
    {
        var config = new Option<string?>("--config")
        {
            Description = "A JSON config file of option names and values (default $FILESWARM_CONFIG, else ~/.config/fileswarm/config.json when present).",
            HelpName = "FILE",
            Recursive = true,
        };
        var root = new RootCommand("FileSwarm: peer-to-peer file distribution over gRPC. Run `fileswarm demo` to see it work, `fileswarm shell` to use it interactively.")
        {
            config,
            CreateCommand.Build(),
            InspectCommand.Build(),
            TrackerCommand.Build(),
            PeerCommand.Build(),
            ShellCommand.Build(),
            DemoCommand.Build(),
        };
        foreach (var verb in ClientCommands.Build())
        {
            root.Subcommands.Add(verb);
        }

        root.Subcommands.Add(ConfigCommand.Build(root, config, () => args));

        // No verb on a terminal (`fileswarm`, `fileswarm --peer 8002`): the interactive shell.
        if (!Console.IsInputRedirected && !Console.IsOutputRedirected && (args.Length == 0 || (args[0].StartsWith('-') && !args.Any(a => root.Subcommands.Any(c => c.Name == a))))
            && !args.Any(a => a is "-h" or "--help" or "-?" or "/?" or "--version"))
        {
            args = [ShellCommand.Verb, .. args];
        }

        ConfiguredParser.Result configured;
        try
        {
            configured = ConfiguredParser.Parse(root, config, args);
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"fileswarm: error: {e.Message}");
            return 1;
        }

        var parsed = configured.Parse;
        if (parsed.Errors.Count > 0)
        {
            // A mistyped command line gets its errors on one line; --help shows usage on request.
            var messages = parsed.Errors.Select(e => configured.Explain(e.Message)).OrderBy(m => m.StartsWith("Required command", StringComparison.Ordinal));
            Console.Error.WriteLine($"fileswarm: error: {string.Join(' ', messages).ReplaceLineEndings(" ")}");
            return 1;
        }

        var ownSignals = OwnSignalHandling.Contains(parsed.CommandResult.Command.Name);
        return parsed.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = ownSignals ? null : TimeSpan.FromSeconds(2) });
    }
}
