using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FileSwarm.Etcd.Tests.Infrastructure;

/// <summary>
/// A real etcd (Debian's <c>etcd-server</c>, /usr/bin/etcd) on 127.0.0.1 with a temporary data directory, one per test
/// collection; tests keep apart by key prefix (<see cref="NewPrefix"/>). A missing binary fails (never skips): CI
/// installs it with scripts/install-deps.sh.
/// </summary>
/// <remarks>
/// etcd cannot listen on port 0: the URLs it listens on are also the URLs it advertises and records in its member
/// list (<c>--advertise-client-urls</c>, <c>--initial-advertise-peer-urls</c>, <c>--initial-cluster</c>), and it never
/// reports back a port the kernel picked. So the fixture asks the kernel for two free ports (bind to port 0, read
/// the port, close) and passes them explicitly. Another process could take a port in between; the start-up then fails
/// with etcd's "address already in use" in the dumped log, not with a wrong result. The same ports and data directory
/// are reused by <see cref="RestartAsync"/>, as an operator restarting a member would.
/// </remarks>
public sealed class EtcdServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> _log = new();
    private Process? _process;

    public EtcdServer()
    {
        ClientPort = FreePort();
        PeerPort = FreePort();
        DataDirectory = Path.Join(Path.GetTempPath(), "fileswarm-etcd-" + Guid.NewGuid().ToString("N")[..12]);
    }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public string DataDirectory { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{ClientPort}");

    public string Log => string.Join(Environment.NewLine, _log);

    public bool IsRunning => _process is { HasExited: false };

    public static string Binary()
    {
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("ETCD_BIN"), "/usr/bin/etcd", "/usr/local/bin/etcd" })
        {
            if (!string.IsNullOrEmpty(candidate) && File.Exists(candidate))
            {
                return candidate;
            }
        }

        var ci = Environment.GetEnvironmentVariable("CI") == "true" ? " CI must install it:" : "";
        Assert.Fail($"etcd is not installed.{ci} run scripts/install-deps.sh (Debian package etcd-server, /usr/bin/etcd)");
        return "";
    }

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewPrefix() => $"/test/{Guid.NewGuid():N}/";

    public EtcdClient CreateClient(Action<EtcdClientOptionsBuilder>? configure = null)
    {
        var builder = new EtcdClientOptionsBuilder { Endpoints = [Endpoint] };
        configure?.Invoke(builder);
        return new EtcdClient(builder.Build());
    }

    public async Task InitializeAsync() => await StartAsync();

    public async Task DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>SIGKILL, as in a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Kills etcd and starts it again on the same ports and data directory.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAsync();
    }

    public async Task StartAsync()
    {
        var url = $"http://127.0.0.1:{ClientPort}";
        var peer = $"http://127.0.0.1:{PeerPort}";
        var start = new ProcessStartInfo(Binary())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--name", "fileswarm-test", "--data-dir", DataDirectory,
            "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", $"fileswarm-test={peer}", "--initial-cluster-state", "new",
            "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
        })
        {
            start.ArgumentList.Add(arg);
        }

        _log.Enqueue($"$ etcd (client {url}, peer {peer}, data {DataDirectory})");
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        // Ready when a linearizable read succeeds (it needs an elected leader).
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with code {process.ExitCode} during start-up:\n{Log}");
            }

            try
            {
                using var client = CreateClient();
                await client.GetAsync("/ready-probe");
                return;
            }
            catch (EtcdException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            catch (EtcdException e)
            {
                throw new TimeoutException($"etcd did not serve within {StartTimeout.TotalSeconds} s ({e.Message}):\n{Log}");
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            _log.Enqueue(line);
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

/// <summary>Mutable settings turned into <see cref="EtcdClientOptions"/>: short retry delays, tests' endpoints.</summary>
public sealed class EtcdClientOptionsBuilder
{
    public required IReadOnlyList<Uri> Endpoints { get; set; }

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(10);

    public bool AllowAnyPingDelay { get; set; }

    public int MaxRequestBytes { get; set; } = EtcdClientOptions.EtcdMaxRequestBytes;

    public int RangePageSize { get; set; } = 500;

    public EtcdClientOptions Build() => new()
    {
        Endpoints = Endpoints,
        RequestTimeout = RequestTimeout,
        DialTimeout = TimeSpan.FromSeconds(1),
        KeepAlivePingDelay = KeepAlivePingDelay,
        AllowAnyPingDelay = AllowAnyPingDelay,
        MaxRequestBytes = MaxRequestBytes,
        RangePageSize = RangePageSize,
        MinRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(500),
    };
}

/// <summary>Polls a condition until it holds or the deadline passes (never a fixed sleep).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within {timeout.TotalSeconds} s: {describe()}");
            }

            await Task.Delay(25);
        }
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe) =>
        TrueAsync(() => Task.FromResult(condition()), timeout, describe);
}
