using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace FileSwarm.Integration.Tests.Infrastructure;

/// <summary>
/// A tracker and peers as real child processes of the built CLI, on 127.0.0.1 with port 0 (ports read back from
/// their output), in a temporary directory, with short intervals. <see cref="RunAsync"/> dumps every captured log
/// line into the test output when the test fails.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;
    private readonly List<ChildProcess> _processes = [];

    public Cluster(ITestOutputHelper output)
    {
        _output = output;
        Root = Path.Join(Path.GetTempPath(), "fileswarm-it-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public ClusterLog Log { get; } = new();

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(120) };

    /// <summary>Runs the test body; on failure the logs of every process go to the test output.</summary>
    public async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body();

            // An error logged by any process fails the test, even when everything else looked right.
            var errors = Log.Lines.Where(l => l.Contains("] fail: ", StringComparison.Ordinal) || l.Contains("] crit: ", StringComparison.Ordinal)
                || l.Contains("internal error", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 0, "unexpected error logs:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }
        catch
        {
            _output.WriteLine("---- captured process logs ----");
            _output.WriteLine(Log.ToString());
            throw;
        }
    }

    public async Task<TrackerProcess> StartTrackerAsync(int port = 0)
    {
        var process = Track(ChildProcess.Start("tracker", ["tracker", "--grpc", $"127.0.0.1:{port}", "--announce-interval", "6"], Log));
        var bound = await process.WaitForOutputAsync(@"^tracker listening on [^ ]*:(\d+)", StartTimeout);
        return new TrackerProcess(process, int.Parse(bound, System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<PeerProcess> StartPeerAsync(string name, TrackerProcess tracker, params string[] extra) =>
        await StartPeerAsync(name, tracker.Port, extra);

    public async Task<PeerProcess> StartPeerAsync(string name, int trackerPort, params string[] extra)
    {
        var dataDir = Path.Join(Root, name);
        string[] args =
        [
            "peer", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--tracker", $"http://127.0.0.1:{trackerPort}",
            "--data-dir", dataDir, "--announce-interval", "1", .. extra,
        ];
        var process = Track(ChildProcess.Start(name, args, Log));
        var http = await process.WaitForOutputAsync(@"^peer http listening on (http://\S+)", StartTimeout);
        var grpc = await process.WaitForOutputAsync(@"^peer grpc listening on (\S+)", StartTimeout);
        var peerId = await process.WaitForOutputAsync(@"^peer id (\S+),", StartTimeout);
        return new PeerProcess(this, process, new Uri(http), grpc, peerId, dataDir);
    }

    /// <summary>A file of random bytes in the cluster's directory.</summary>
    public string CreateFile(string name, int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        var path = Path.Join(Root, "content", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        Http.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private ChildProcess Track(ChildProcess process)
    {
        _processes.Add(process);
        return process;
    }
}

public sealed record TrackerProcess(ChildProcess Process, int Port);

/// <summary>A running peer and its HTTP API.</summary>
public sealed record PeerProcess(Cluster Cluster, ChildProcess Process, Uri Http, string GrpcAddress, string PeerId, string DataDirectory)
{
    public string DownloadsDirectory => Path.Join(DataDirectory, "downloads");

    public Task<HttpResponseMessage> PostAsync(string path, string json) =>
        Cluster.Http.PostAsync(new Uri(Http, path), new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> GetAsync(string path) => Cluster.Http.GetAsync(new Uri(Http, path));

    public Task<HttpResponseMessage> DeleteAsync(string path) => Cluster.Http.DeleteAsync(new Uri(Http, path));

    public async Task<JsonObject> GetJsonAsync(string path)
    {
        using var response = await GetAsync(path);
        return await ReadJsonAsync(response, HttpStatusCode.OK);
    }

    /// <summary>Shares a file; returns its info-hash.</summary>
    public async Task<string> UploadAsync(string path, int pieceLength = 16 * 1024)
    {
        using var response = await PostAsync("/upload", JsonSerializer.Serialize(new { name = path, piece_length = pieceLength }));
        var info = await ReadJsonAsync(response, HttpStatusCode.OK);
        return (string)info["hash"]!;
    }

    /// <summary>Starts a download without waiting for it.</summary>
    public async Task StartDownloadAsync(string hash)
    {
        using var response = await PostAsync("/download", JsonSerializer.Serialize(new { hash, wait = false }));
        if (response.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.OK))
        {
            throw new InvalidOperationException($"POST /download: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public Task<JsonObject> DownloadStatusAsync(string hash) => GetJsonAsync($"/downloads/{hash}");

    /// <summary>Polls until the download is complete.</summary>
    public async Task<JsonObject> WaitForDownloadAsync(string hash, TimeSpan timeout)
    {
        JsonObject? last = null;
        await Poll.UntilAsync(async () => (string?)(last = await DownloadStatusAsync(hash))["state"] == "complete", timeout, () => $"{Process.Name}: download of {hash} to complete; last status {last?.ToJsonString()}");
        return last!;
    }

    public static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}

/// <summary>Waiting for conditions with a deadline instead of sleeping.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds} s waiting for {what()}");
            }

            await Task.Delay(100);
        }
    }
}
