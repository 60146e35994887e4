using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using FileSwarm.Cli.Client;
using FileSwarm.Cli.Output;

namespace FileSwarm.Cli.Demo;

/// <summary>
/// <c>fileswarm demo</c>: a tracker and two peers as real processes on free loopback ports, one file shared by peer A
/// and downloaded by peer B with progress, its SHA-1 checked; then everything stops and the temporary directory goes,
/// on success, on failure and on Ctrl-C alike.
/// </summary>
internal sealed class DemoRun(long size, long? downloadRate, TextWriter output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private const string FileName = "demo.bin";

    private readonly List<ServerProcess> _peers = [];
    private ServerProcess? _tracker;

    public async Task<int> RunAsync()
    {
        using var cancel = new CancellationTokenSource();
        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            cancel.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        var work = Directory.CreateTempSubdirectory("fileswarm-demo-").FullName;
        output.WriteLine("FileSwarm demo: a tracker and two peers on this machine share one file.");
        output.WriteLine($"working in {work} (removed at the end)");
        output.Flush();
        try
        {
            await RunStepsAsync(work, cancel.Token);
            return CliErrors.Success;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            output.WriteLine();
            output.WriteLine("demo: interrupted");
            return CliErrors.Cancelled;
        }
        catch (Exception e) when (e is DemoException or PeerApiException or IOException)
        {
            output.Flush();
            Console.Error.WriteLine($"fileswarm demo: error: {e.Message}");
            return CliErrors.UserError;
        }
        finally
        {
            await StopAsync();
            Directory.Delete(work, recursive: true);
            output.WriteLine($"stopped the tracker and both peers (pids {string.Join(", ", Pids)}); removed {work}");
            output.Flush();
        }
    }

    private IEnumerable<int> Pids => (_tracker is null ? _peers : _peers.Prepend(_tracker)).Select(p => p.Pid);

    private async Task RunStepsAsync(string work, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        _tracker = ServerProcess.Start("tracker", ["tracker", "--grpc", "127.0.0.1:0"]);
        var trackerPort = await _tracker.WaitForLineAsync(@"^tracker listening on [^ ]*:(\d+)", StartTimeout, cancellationToken);
        Step(1, $"tracker  listening on 127.0.0.1:{trackerPort} (pid {_tracker.Pid})");

        var a = await StartPeerAsync("peer A", work, "peer-a", trackerPort, null, cancellationToken);
        var b = await StartPeerAsync("peer B", work, "peer-b", trackerPort, downloadRate, cancellationToken);
        Step(2, $"peer A   http {a.Http.GetLeftPart(UriPartial.Authority)}, grpc {a.Grpc} (pid {a.Process.Pid})");
        Detail($"peer B   http {b.Http.GetLeftPart(UriPartial.Authority)}, grpc {b.Grpc} (pid {b.Process.Pid}){(downloadRate is { } rate ? $", downloads capped at {Sizes.Format(rate)}/s" : "")}");

        var content = Path.Join(work, "content", FileName);
        var sha1 = await WriteRandomFileAsync(content, size, cancellationToken);
        Step(3, $"wrote {FileName}: {Sizes.Format(size)} of random data, SHA-1 {sha1}");

        using var clientA = new PeerClient(a.Http, token: null);
        using var clientB = new PeerClient(b.Http, token: null);
        var info = await clientA.ShareAsync(content, cancellationToken);
        var hash = info.GetProperty("hash").GetString()!;
        Step(4, $"peer A shares it: info-hash {hash}, {DownloadStatus.Int64(info, "pieces")} pieces of {Sizes.Format(DownloadStatus.Int64(info, "piece_length"))}");

        Step(5, "peer B asks the tracker who has it and downloads it from peer A:");
        var started = Stopwatch.StartNew();
        await clientB.StartDownloadAsync(hash, cancellationToken);
        var status = await DownloadView.FollowAsync(clientB, hash, terminal: !Console.IsOutputRedirected, output, cancellationToken);
        if (status.State != "complete")
        {
            throw new DemoException($"peer B's download {status.State}: {status.Error}{Environment.NewLine}{b.Process.Tail()}");
        }

        var seconds = Math.Max(started.Elapsed.TotalSeconds, 0.001);
        Detail(string.Create(CultureInfo.InvariantCulture, $"downloaded {Sizes.Format(size)} in {seconds:0.00} s ({Sizes.Format((long)(size / seconds))}/s), every piece SHA-1 checked on arrival"));

        var copy = await Sha1Async(status.Path, cancellationToken);
        if (copy != sha1 || info.GetProperty("sha1").GetString() != sha1)
        {
            throw new DemoException($"SHA-1 mismatch: original {sha1}, handler {info.GetProperty("sha1").GetString()}, peer B's copy {copy}");
        }

        Step(6, $"SHA-1 of peer B's copy {copy} matches the original: verified");
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"demo: success in {total.Elapsed.TotalSeconds:0.0} s. The same by hand, each server in its own terminal:"));
        output.WriteLine("  ./fileswarm tracker");
        output.WriteLine("  ./fileswarm peer --http 8002 --grpc 9002                # peer A");
        output.WriteLine("  ./fileswarm peer --http 8000 --grpc 9000                # peer B");
        output.WriteLine("  ./fileswarm share demo.bin --peer 8002                  # prints the hash");
        output.WriteLine("  ./fileswarm get HASH --peer 8000 -o .                   # progress, then a copy here");
        output.WriteLine("  sha1sum demo.bin ./demo.bin");
        output.WriteLine("or interactively: ./fileswarm shell --peer 8000; the HTTP API with curl: see README.md");
        output.Flush();
    }

    private async Task<(ServerProcess Process, Uri Http, string Grpc)> StartPeerAsync(
        string name, string work, string dir, string trackerPort, long? rate, CancellationToken cancellationToken)
    {
        List<string> args =
        [
            "peer", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--tracker", $"http://127.0.0.1:{trackerPort}",
            "--data-dir", Path.Join(work, dir),
        ];
        if (rate is { } r)
        {
            args.AddRange(["--max-download-rate", r.ToString(CultureInfo.InvariantCulture)]);
        }

        var process = ServerProcess.Start(name, args);
        _peers.Add(process);
        var http = await process.WaitForLineAsync(@"^peer http listening on (http://\S+)", StartTimeout, cancellationToken);
        var grpc = await process.WaitForLineAsync(@"^peer grpc listening on (\S+)", StartTimeout, cancellationToken);
        return (process, new Uri(http), grpc);
    }

    private async Task StopAsync()
    {
        await Task.WhenAll(_peers.Select(p => p.DisposeAsync().AsTask()));
        if (_tracker is not null)
        {
            await _tracker.DisposeAsync();
        }
    }

    private static async Task<string> WriteRandomFileAsync(string path, long length, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var buffer = new byte[1024 * 1024];
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
        for (long written = 0; written < length;)
        {
            var chunk = (int)Math.Min(buffer.Length, length - written);
            Random.Shared.NextBytes(buffer.AsSpan(0, chunk));
            sha1.AppendData(buffer, 0, chunk);
            await file.WriteAsync(buffer.AsMemory(0, chunk), cancellationToken);
            written += chunk;
        }

        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    private static async Task<string> Sha1Async(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA1.HashDataAsync(file, cancellationToken));
    }

    private void Step(int n, string text)
    {
        output.WriteLine($"[{n}/6] {text}");
        output.Flush();
    }

    private void Detail(string text)
    {
        output.WriteLine($"      {text}");
        output.Flush();
    }
}
