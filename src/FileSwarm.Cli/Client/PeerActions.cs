using System.Globalization;
using System.Net;
using System.Text.Json;
using FileSwarm.Cli.Output;
using FileSwarm.Core;

namespace FileSwarm.Cli.Client;

/// <summary>
/// What the user verbs do against a running peer, shared by the one-shot verbs and the interactive shell.
/// Each writes its result to <see cref="Out"/> (text for people, or the API's JSON with --json) and returns an exit code;
/// failures are exceptions that <see cref="CliErrors"/> turns into one line.
/// </summary>
internal sealed partial class PeerActions(PeerClient client, TextWriter output, TextWriter progress, bool json, bool terminal)
{
    public TextWriter Out => output;

    /// <summary><c>share PATH</c>: the peer hashes the file and offers it.</summary>
    public async Task<int> ShareAsync(string path, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        if (IsLocalPeer && !File.Exists(full) && !Directory.Exists(full))
        {
            throw new UserErrorException($"{path}: no such file or directory");
        }

        // The peer hashes the whole file before it answers; on a terminal a spinner shows it is at work.
        var info = terminal && !json
            ? await Spectre.Console.AnsiConsole.Status().StartAsync(
                $"the peer is hashing {Spectre.Console.Markup.Escape(Path.GetFileName(full))}…", _ => client.ShareAsync(full, cancellationToken))
            : await client.ShareAsync(full, cancellationToken);
        if (json)
        {
            WriteJson(info);
            return CliErrors.Success;
        }

        var hash = info.GetProperty("hash").GetString();
        output.WriteLine($"shared {info.GetProperty("name").GetString()} ({Sizes.Format(DownloadStatus.Int64(info, "length"))}, {DownloadStatus.Int64(info, "pieces")} pieces of {Sizes.Format(DownloadStatus.Int64(info, "piece_length"))})");
        output.WriteLine($"  hash  {hash}");
        output.WriteLine($"  sha1  {info.GetProperty("sha1").GetString()}");
        output.WriteLine($"fetch it on another peer with: fileswarm get {hash} --peer URL");
        return CliErrors.Success;
    }

    /// <summary><c>ls</c>: every file the tracker knows, marking the ones this peer holds.</summary>
    public async Task<int> ListAsync(CancellationToken cancellationToken)
    {
        var catalog = await client.CatalogAsync(cancellationToken);
        var library = await client.LibraryAsync(cancellationToken);
        var here = library.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("hash").GetString()!, f => f);
        var files = catalog.GetProperty("files").EnumerateArray().ToList();
        var listed = files.Select(f => f.GetProperty("hash").GetString()!).ToHashSet(StringComparer.Ordinal);

        // Files this peer holds that the catalog does not (yet) list are still worth seeing.
        files.AddRange(here.Values.Where(f => !listed.Contains(f.GetProperty("hash").GetString()!)));
        if (json)
        {
            using var stdout = new MemoryStream();
            using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("count", files.Count.ToString(CultureInfo.InvariantCulture));
                w.WriteStartArray("files");
                foreach (var file in files)
                {
                    var hash = file.GetProperty("hash").GetString()!;
                    w.WriteStartObject();
                    foreach (var name in (string[])["name", "hash", "sha1", "length", "piece_length", "pieces"])
                    {
                        if (file.TryGetProperty(name, out var value))
                        {
                            w.WritePropertyName(name);
                            value.WriteTo(w);
                        }
                    }

                    if (here.TryGetValue(hash, out var local))
                    {
                        w.WriteString("here", local.GetProperty("role").GetString());
                        w.WriteString("state", local.GetProperty("state").GetString());
                    }
                    else
                    {
                        w.WriteNull("here");
                        w.WriteNull("state");
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            output.WriteLine(System.Text.Encoding.UTF8.GetString(stdout.ToArray()));
            return CliErrors.Success;
        }

        if (files.Count == 0)
        {
            output.WriteLine("no files yet; share one with: fileswarm share PATH");
            return CliErrors.Success;
        }

        var rows = files.Select(f =>
        {
            var hash = f.GetProperty("hash").GetString()!;
            var mark = here.TryGetValue(hash, out var local)
                ? local.GetProperty("role").GetString() == "shared" ? "shared" : $"download, {local.GetProperty("state").GetString()}"
                : "-";
            return (Name: f.GetProperty("name").GetString()!, Size: Sizes.Format(DownloadStatus.Int64(f, "length")), Hash: hash, Here: mark);
        }).ToList();
        var nameWidth = Math.Clamp(rows.Max(r => r.Name.Length), 4, 40);
        output.WriteLine($"{"NAME".PadRight(nameWidth)}  {"SIZE",10}  {"HASH",-40}  HERE");
        foreach (var row in rows)
        {
            output.WriteLine($"{Clip(row.Name, nameWidth).PadRight(nameWidth)}  {row.Size,10}  {row.Hash,-40}  {row.Here}");
        }

        output.WriteLine($"{Count(rows.Count, "file")}; this peer holds {rows.Count(r => r.Here != "-")}");
        return CliErrors.Success;
    }

    /// <summary><c>status</c>: every download of this peer, with progress.</summary>
    public async Task<int> StatusAsync(CancellationToken cancellationToken)
    {
        var downloads = await client.DownloadsAsync(cancellationToken);
        if (json)
        {
            WriteJson(downloads);
            return CliErrors.Success;
        }

        var list = downloads.GetProperty("downloads").EnumerateArray().Select(DownloadStatus.From).ToList();
        if (list.Count == 0)
        {
            output.WriteLine("no downloads; start one with: fileswarm get HASH");
            return CliErrors.Success;
        }

        var nameWidth = Math.Clamp(list.Max(d => d.Name.Length), 4, 40);
        output.WriteLine($"{"NAME".PadRight(nameWidth)}  {"STATE",-11}  {"DONE",4}  {"SIZE",10}  {"RATE",12}  {"PEERS",5}  {"ETA",7}  HASH");
        foreach (var d in list)
        {
            var rate = d.State == "downloading" ? Sizes.Format((long)d.BytesPerSecond) + "/s" : "-";
            var eta = d.State == "downloading" ? DownloadStatus.Eta(d.EtaSeconds) : "-";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Clip(d.Name, nameWidth).PadRight(nameWidth)}  {d.State,-11}  {d.Fraction * 100,3:0}%  {Sizes.Format(d.TotalBytes),10}  {rate,12}  {d.Peers,5}  {eta,7}  {d.Hash}"));
            if (d.Error is { } error)
            {
                output.WriteLine($"  error: {error}");
            }
        }

        return CliErrors.Success;
    }

    /// <summary><c>rm HASH</c>: the peer stops sharing the file; an unfinished download is cancelled and its partial file deleted.</summary>
    public async Task<int> RemoveAsync(string hash, CancellationToken cancellationToken)
    {
        RequireHash(hash);
        var info = await client.RemoveAsync(hash, cancellationToken);
        if (json)
        {
            WriteJson(info);
            return CliErrors.Success;
        }

        output.WriteLine($"removed {info.GetProperty("name").GetString()} ({info.GetProperty("hash").GetString()}) from the peer; it no longer shares it (finished files stay on disk)");
        return CliErrors.Success;
    }

    private bool IsLocalPeer => client.Address.IsLoopback;

    public static void RequireHash(string text)
    {
        if (!Sha1Hash.TryParse(text, out _))
        {
            throw new UserErrorException($"\"{(text.Length > 60 ? text[..60] + "…" : text)}\" is not a hash: give the 40 hex characters of an info-hash or of the file's SHA-1");
        }
    }

    private void WriteJson(JsonElement element)
    {
        output.WriteLine(JsonSerializer.Serialize(element, IndentedJson));
        output.Flush();
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    private static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    internal static bool IsNotFound(PeerApiException e) => e.Status == (int)HttpStatusCode.NotFound;
}
