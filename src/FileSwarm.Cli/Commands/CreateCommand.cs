using System.CommandLine;
using FileSwarm.Cli.Output;
using FileSwarm.Core.Creation;
using FileSwarm.Core.Metainfo;

namespace FileSwarm.Cli.Commands;

/// <summary><c>fileswarm create PATH [-o FILE.torrent] [--piece-length N] [--tracker URL] [--json]</c>: write a handler.</summary>
internal static class CreateCommand
{
    private const string Verb = "create";

    public static Command Build()
    {
        var path = new Argument<string>("PATH") { Description = "File or directory to create a handler for." };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Where to write the .torrent (default: NAME.torrent in the current directory).",
            HelpName = "FILE.torrent",
        };
        var pieceLength = new Option<long?>("--piece-length")
        {
            Description = "Piece length: a power of two from 16K to 16M, in bytes or with K/M (default: chosen for about 1000–2000 pieces).",
            HelpName = "N",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (!Sizes.TryParse(text, out var bytes))
                {
                    result.AddError($"--piece-length: \"{text}\" is not a size (e.g. 262144, 256K, 1M)");
                    return null;
                }

                if (!PieceLengths.IsValidForCreate(bytes, out var reason))
                {
                    result.AddError($"--piece-length: {reason}");
                    return null;
                }

                return bytes;
            },
        };
        var tracker = new Option<string?>("--tracker", "-t") { Description = "Tracker URL to write as the announce URL (http, https or udp).", HelpName = "URL" };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite the output file if it exists." };
        var noSha1 = new Option<bool>("--no-sha1")
        {
            Description = "Do not record the SHA-1 of the whole content (hashes faster on several cores; the handler is then found only by its info-hash).",
        };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };

        var command = new Command(Verb, "Create a handler (.torrent) for a file or directory, offline.")
        {
            path, output, pieceLength, tracker, force, noSha1, json,
        };
        command.SetAction((parse, cancellationToken) => CliErrors.RunAsync(Verb, () => RunAsync(
            parse.GetRequiredValue(path),
            parse.GetValue(output),
            (int?)parse.GetValue(pieceLength),
            parse.GetValue(tracker),
            parse.GetValue(force),
            !parse.GetValue(noSha1),
            parse.GetValue(json),
            cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(string path, string? output, int? pieceLength, string? tracker, bool force, bool contentSha1, bool json, CancellationToken cancellationToken)
    {
        if (tracker is not null && !IsTrackerUrl(tracker))
        {
            return CliErrors.Fail(Verb, $"--tracker: \"{tracker}\" is not an absolute http, https or udp URL");
        }

        var source = ContentSource.Scan(path);
        var outputPath = Path.GetFullPath(output ?? source.Name + ".torrent");
        if (!force && File.Exists(outputPath))
        {
            return CliErrors.Fail(Verb, $"{outputPath} already exists (use --force to overwrite)");
        }

        if (!Directory.Exists(Path.GetDirectoryName(outputPath)))
        {
            return CliErrors.Fail(Verb, $"{Path.GetDirectoryName(outputPath)}: the output directory does not exist");
        }

        if (Directory.Exists(outputPath))
        {
            return CliErrors.Fail(Verb, $"{outputPath} is a directory; give a file name with -o");
        }

        if (IsInside(outputPath, source))
        {
            return CliErrors.Fail(Verb, $"{outputPath} is inside the content being hashed; write it elsewhere with -o");
        }

        var options = new TorrentCreateOptions
        {
            PieceLength = pieceLength,
            Announce = tracker,
            ComputeContentSha1 = contentSha1,
        };
        if (TorrentCreator.GetOptionsError(source, options) is { } error)
        {
            return CliErrors.Fail(Verb, error);
        }

        var interactive = !json && !Console.IsOutputRedirected;
        var metainfo = await HashingProgress.RunAsync(
            $"hashing {source.Name}",
            source.TotalLength,
            interactive,
            progress => TorrentCreator.CreateAsync(source, options, progress, cancellationToken));

        WriteAtomically(outputPath, metainfo.ToBytes(), force);
        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            HandlerReport.WriteJson(stdout, metainfo, outputPath);
        }
        else
        {
            HandlerReport.WriteText(Console.Out, metainfo, outputPath, listFiles: false);
        }

        return CliErrors.Success;
    }

    /// <summary>Writes a temporary file beside the target and renames it, so a half-written .torrent never has the name.</summary>
    private static void WriteAtomically(string path, byte[] bytes, bool overwrite)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temp = Path.Join(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite);
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            throw new UserErrorException($"{path} already exists (use --force to overwrite)");
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static bool IsInside(string outputPath, ContentSource source) =>
        source.IsDirectory
            ? outputPath.StartsWith(source.FullPath + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            : outputPath == source.FullPath;

    private static bool IsTrackerUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "udp" && !string.IsNullOrEmpty(uri.Host);
}
