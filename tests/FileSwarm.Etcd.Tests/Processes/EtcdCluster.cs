using System.Globalization;
using FileSwarm.Etcd.Tests.Infrastructure;
using FileSwarm.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FileSwarm.Etcd.Tests.Processes;

/// <summary>
/// Peer and tracker processes of the built CLI in etcd mode, on the integration suite's <see cref="Cluster"/> (temporary
/// directory, captured logs, the HTTP helpers of <see cref="PeerProcess"/>), with one key prefix per test.
/// </summary>
public sealed class EtcdCluster(EtcdServer etcd, ITestOutputHelper output) : IAsyncDisposable
{
    private readonly List<ChildProcess> _processes = [];

    public Cluster Cluster { get; } = new(output);

    public string Prefix { get; } = EtcdServer.NewPrefix();

    public Task RunAsync(Func<Task> body) => Cluster.RunAsync(body);

    public async Task<PeerProcess> StartPeerAsync(string name, int leaseTtlSeconds = 10, params string[] extra)
    {
        var dataDir = Path.Join(Cluster.Root, name);
        string[] args =
        [
            "peer", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--etcd", etcd.Endpoint.ToString(), "--etcd-prefix", Prefix,
            "--etcd-ttl", leaseTtlSeconds.ToString(CultureInfo.InvariantCulture), "--data-dir", dataDir, "--announce-interval", "1", .. extra,
        ];
        var process = Track(ChildProcess.Start(name, args, Cluster.Log));
        var http = await process.WaitForOutputAsync(@"^peer http listening on (http://\S+)", Cluster.StartTimeout);
        var grpc = await process.WaitForOutputAsync(@"^peer grpc listening on (\S+)", Cluster.StartTimeout);
        var peerId = await process.WaitForOutputAsync(@"^peer id (\S+),", Cluster.StartTimeout);
        return new PeerProcess(Cluster, process, new Uri(http), grpc, peerId, dataDir);
    }

    /// <summary>A tracker whose registry is in etcd under this cluster's prefix.</summary>
    public async Task<TrackerProcess> StartTrackerAsync(string name)
    {
        var process = Track(ChildProcess.Start(name, ["tracker", "--grpc", "127.0.0.1:0", "--announce-interval", "6", "--etcd", etcd.Endpoint.ToString(), "--etcd-prefix", Prefix + "tracker/"], Cluster.Log));
        var port = await process.WaitForOutputAsync(@"^tracker listening on [^ ]*:(\d+)", Cluster.StartTimeout);
        return new TrackerProcess(process, int.Parse(port, CultureInfo.InvariantCulture));
    }

    /// <summary>A peer in tracker mode (the integration suite's arguments).</summary>
    public async Task<PeerProcess> StartTrackerPeerAsync(string name, TrackerProcess tracker)
    {
        var dataDir = Path.Join(Cluster.Root, name);
        var process = Track(ChildProcess.Start(name, ["peer", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--tracker", $"http://127.0.0.1:{tracker.Port}", "--data-dir", dataDir, "--announce-interval", "1"], Cluster.Log));
        var http = await process.WaitForOutputAsync(@"^peer http listening on (http://\S+)", Cluster.StartTimeout);
        var grpc = await process.WaitForOutputAsync(@"^peer grpc listening on (\S+)", Cluster.StartTimeout);
        var peerId = await process.WaitForOutputAsync(@"^peer id (\S+),", Cluster.StartTimeout);
        return new PeerProcess(Cluster, process, new Uri(http), grpc, peerId, dataDir);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        await Cluster.DisposeAsync();
    }

    private ChildProcess Track(ChildProcess process)
    {
        _processes.Add(process);
        return process;
    }
}
