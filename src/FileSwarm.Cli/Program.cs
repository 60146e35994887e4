using System.CommandLine;
using FileSwarm.Cli.Commands;

namespace FileSwarm.Cli;

/// <summary>Composition root: one line per verb; each verb lives in Commands/.</summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("FileSwarm: peer-to-peer file distribution over gRPC.")
        {
            CreateCommand.Build(),
            InspectCommand.Build(),
            PeerCommand.Build(),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // A mistyped command line gets its errors on one line; --help shows usage on request.
            var messages = parsed.Errors.Select(e => e.Message).OrderBy(m => m.StartsWith("Required command", StringComparison.Ordinal));
            Console.Error.WriteLine($"fileswarm: error: {string.Join(' ', messages).ReplaceLineEndings(" ")}");
            return 1;
        }

        return parsed.Invoke();
    }
}
