using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FileSwarm.Cli.Output;

namespace FileSwarm.Cli.Client;

internal sealed partial class PeerActions
{
    /// <summary>
    /// <c>get HASH [-o DIR]</c>: the peer downloads into its downloads directory while this follows the progress.
    /// With <paramref name="outputDirectory"/>, the finished content is then copied there (the peer keeps its copy and
    /// seeds it). Cancelling (Ctrl-C) cancels a download this call started: the peer drops it and its partial file.
    /// </summary>
    public async Task<int> GetAsync(string hash, string? outputDirectory, bool detach, CancellationToken cancellationToken)
    {
        RequireHash(hash);
        if (outputDirectory is not null && File.Exists(outputDirectory))
        {
            throw new UserErrorException($"-o {outputDirectory}: is a file; give a directory");
        }

        var started = Stopwatch.StartNew();
        var owned = true;
        JsonElement info;
        try
        {
            info = await client.StartDownloadAsync(hash, cancellationToken);
        }
        catch (PeerApiException e) when (e.Code == "conflict" && e.Message.Contains("already downloading", StringComparison.Ordinal))
        {
            // Someone else started it: follow it, but leave it alone on Ctrl-C.
            owned = false;
            info = (await client.FileAsync(hash, cancellationToken));
        }

        var infoHash = info.GetProperty("hash").GetString()!;
        var name = info.GetProperty("name").GetString()!;
        if (detach)
        {
            if (json)
            {
                WriteJson(info);
            }
            else
            {
                output.WriteLine($"downloading {name} ({infoHash}) in the background; follow it with: fileswarm status");
            }

            return CliErrors.Success;
        }

        DownloadStatus? status = null;
        try
        {
            status = await FinalStatusAsync(infoHash, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && owned)
        {
            await CancelOnPeerAsync(infoHash, name);
            throw;
        }

        if (status.State != "complete")
        {
            throw new UserErrorException($"the download of {name} ({infoHash}) {status.State}{(status.Error is { } error ? ": " + error : "")}");
        }

        var copiedTo = outputDirectory is null ? null : CopyOut(status.Path, outputDirectory);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new DownloadResult(status.Hash, status.Name, status.TotalBytes.ToString(CultureInfo.InvariantCulture), status.Path, copiedTo), ResultJson));
            return CliErrors.Success;
        }

        var seconds = started.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"downloaded {status.Name} ({Sizes.Format(status.TotalBytes)}) in {seconds:0.0} s, every piece SHA-1 verified"));
        output.WriteLine($"  on the peer: {status.Path}");
        if (copiedTo is not null)
        {
            output.WriteLine($"  copied to:   {copiedTo}");
        }

        return CliErrors.Success;
    }

    /// <summary>Follows the download; a file the peer holds already (shared, or downloaded before) is complete at once.</summary>
    private async Task<DownloadStatus> FinalStatusAsync(string infoHash, CancellationToken cancellationToken)
    {
        try
        {
            return await DownloadView.FollowAsync(client, infoHash, terminal && !json, json ? TextWriter.Null : progress, cancellationToken);
        }
        catch (PeerApiException e) when (IsNotFound(e))
        {
            var library = await client.LibraryAsync(cancellationToken);
            var entry = library.GetProperty("files").EnumerateArray().FirstOrDefault(f => f.GetProperty("hash").GetString() == infoHash);
            if (entry.ValueKind != JsonValueKind.Object)
            {
                throw;
            }

            var length = DownloadStatus.Int64(entry, "length");
            return new DownloadStatus(infoHash, entry.GetProperty("name").GetString()!, entry.GetProperty("path").GetString()!,
                entry.GetProperty("complete").GetBoolean() ? "complete" : "stopped", length, length, 0, 0, 0, 0, null, null, entry);
        }
    }

    private async Task CancelOnPeerAsync(string infoHash, string name)
    {
        try
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var status = await client.DownloadAsync(infoHash, grace.Token);
            if (status.State != "complete")
            {
                await client.RemoveAsync(infoHash, grace.Token);
                progress.WriteLine($"cancelled the download of {name}; the peer dropped it and its partial file");
            }
        }
        catch (Exception e) when (e is PeerApiException or OperationCanceledException)
        {
            progress.WriteLine($"could not cancel the download of {name} on the peer: {e.Message}");
        }
    }

    /// <summary>Copies the finished content into <paramref name="directory"/> under a temporary name, then renames it.</summary>
    private static string CopyOut(string source, string directory)
    {
        if (!File.Exists(source) && !Directory.Exists(source))
        {
            throw new UserErrorException($"-o: the peer's copy is at {source}, which this machine cannot see; fetch it from there");
        }

        Directory.CreateDirectory(directory);
        var target = Path.Join(Path.GetFullPath(directory), Path.GetFileName(source));
        if (File.Exists(target) || Directory.Exists(target))
        {
            throw new UserErrorException($"-o: {target} already exists; the download is complete on the peer at {source}");
        }

        var temp = Path.Join(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Environment.ProcessId}.part");
        try
        {
            if (Directory.Exists(source))
            {
                CopyDirectory(source, temp);
                Directory.Move(temp, target);
            }
            else
            {
                File.Copy(source, temp);
                File.Move(temp, target);
            }
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
            else if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }

        return target;
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Join(target, Path.GetFileName(file)));
        }

        foreach (var sub in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(sub, Path.Join(target, Path.GetFileName(sub)));
        }
    }

    private static readonly JsonSerializerOptions ResultJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record DownloadResult(string Hash, string Name, string Length, string Path, string? CopiedTo);
}
