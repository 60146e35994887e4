using System.CommandLine;
using FileSwarm.Cli.Output;
using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;

namespace FileSwarm.Cli.Commands;

/// <summary><c>fileswarm inspect FILE.torrent [--json]</c>: show what a handler says, validating it on the way.</summary>
internal static class InspectCommand
{
    private const string Verb = "inspect";

    public static Command Build()
    {
        var file = new Argument<string>("FILE.torrent") { Description = "The handler to read." };
        var json = new Option<bool>("--json") { Description = "Print the handler as JSON." };
        var command = new Command(Verb, "Show a handler's info-hash, sizes, piece layout and files, offline.") { file, json };
        command.SetAction((parse, _) => CliErrors.RunAsync(Verb, () => Task.FromResult(Run(parse.GetRequiredValue(file), parse.GetValue(json)))));
        return command;
    }

    private static int Run(string path, bool json)
    {
        if (Directory.Exists(path))
        {
            return CliErrors.Fail(Verb, $"{path} is a directory, not a .torrent file");
        }

        TorrentMetainfo metainfo;
        try
        {
            metainfo = TorrentMetainfo.Load(path);
        }
        catch (BencodeFormatException e)
        {
            // Name the file: the parser only knows bytes.
            return CliErrors.Fail(Verb, $"{path}: not a valid .torrent file: {e.Message}");
        }
        catch (MetainfoFormatException e)
        {
            return CliErrors.Fail(Verb, $"{path}: {e.Message}");
        }

        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            HandlerReport.WriteJson(stdout, metainfo, torrentPath: null);
        }
        else
        {
            HandlerReport.WriteText(Console.Out, metainfo, torrentPath: null, listFiles: true);
        }

        return CliErrors.Success;
    }
}
