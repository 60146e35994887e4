using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc.Client;
using FileSwarm.Tracker.Tests.Infrastructure;
using Google.Protobuf;

namespace FileSwarm.Tracker.Tests.Cli;

/// <summary>The real <c>fileswarm tracker</c> as a child process: start, serve, SIGTERM, exit 0.</summary>
public sealed partial class TrackerProcessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_tracker_prints_its_port_serves_and_stops_cleanly_on_SIGTERM()
    {
        using var tracker = StartCli("tracker", "--grpc", "0", "--announce-interval", "7");
        var line = await tracker.WaitForLineAsync(l => ListeningLine().IsMatch(l), Deadline);
        var match = ListeningLine().Match(line);
        Assert.Equal("0.0.0.0", match.Groups["host"].Value);
        var port = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(port, 1, 65535);

        using (var channel = new RpcChannel(new Uri($"http://127.0.0.1:{port}")))
        {
            var client = new TrackerClient(channel);
            var metainfo = TestTorrents.Create("from-the-cli-test", pieces: 3);
            var registered = await client.RegisterFileAsync(new RegisterFileRequest { Torrent = ByteString.CopyFrom(metainfo.ToBytes()) });
            await client.AnnounceAsync(new AnnounceRequest { InfoHash = registered.File.Hash, PeerId = "seed", AdvertiseAddress = "10.0.0.1:9000", Complete = true });
            var answer = await client.AnnounceAsync(new AnnounceRequest { InfoHash = registered.File.Hash, PeerId = "leech", Port = 9001, Bitfield = ByteString.CopyFrom(TestTorrents.Pieces(3)) });

            Assert.True(registered.Created);
            Assert.Equal(7, answer.IntervalSeconds);
            Assert.Equal("10.0.0.1:9000", Assert.Single(answer.Peers).Address);
        }

        await SendSigtermAsync(tracker.Process.Id);
        var exitCode = await tracker.WaitForExitAsync(Deadline);
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{tracker.Output}");
    }

    [Theory]
    [InlineData("--grpc", "nope", "--grpc")]
    [InlineData("--grpc", "70000", "--grpc")]
    [InlineData("--grpc", "::1", "--grpc")]
    [InlineData("--announce-interval", "0", "--announce-interval")]
    [InlineData("--announce-interval", "soon", "--announce-interval")]
    [InlineData("--bogus", "1", "--bogus")]
    public async Task A_bad_flag_gets_one_clear_line_and_a_non_zero_exit(string flag, string value, string mentions)
    {
        using var tracker = StartCli("tracker", flag, value);

        var exitCode = await tracker.WaitForExitAsync(Deadline);

        Assert.NotEqual(0, exitCode);
        var errors = tracker.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(errors.Length == 1, $"expected one line on stderr:\n{tracker.Errors}");
        Assert.Contains(mentions, errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_describes_the_flags()
    {
        using var tracker = StartCli("tracker", "--help");

        var exitCode = await tracker.WaitForExitAsync(Deadline);

        Assert.Equal(0, exitCode);
        Assert.Contains("--grpc", tracker.Output, StringComparison.Ordinal);
        Assert.Contains("--announce-interval", tracker.Output, StringComparison.Ordinal);
    }

    private static async Task SendSigtermAsync(int pid)
    {
        using var kill = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    [GeneratedRegex(@"^tracker listening on (?<host>\S+):(?<port>\d+)\b")]
    private static partial Regex ListeningLine();

    private static ChildProcess StartCli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(FindCli());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>The CLI build that ./test makes (Release), or else a Debug build.</summary>
    private static string FindCli()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Join(directory.FullName, "FileSwarm.slnx")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException($"no FileSwarm.slnx above {AppContext.BaseDirectory}");
        }

        foreach (var configuration in new[] { "Release", "Debug" })
        {
            var dll = Path.Join(directory.FullName, "src", "FileSwarm.Cli", "bin", configuration, "net10.0", "fileswarm.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        throw new InvalidOperationException($"fileswarm.dll is not built under {directory.FullName}/src/FileSwarm.Cli/bin; run `dotnet build FileSwarm.slnx -c Release` first");
    }

    /// <summary>A child process whose output is collected as it comes, so that neither pipe fills up.</summary>
    private sealed class ChildProcess : IDisposable
    {
        private readonly StringBuilder _output = new();
        private readonly StringBuilder _errors = new();

        public ChildProcess(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Append(_output, e.Data);
            process.ErrorDataReceived += (_, e) => Append(_errors, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public string Errors
        {
            get
            {
                lock (_errors)
                {
                    return _errors.ToString();
                }
            }
        }

        public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
        {
            string? found = null;
            try
            {
                await Poll.UntilAsync(
                    () =>
                    {
                        found = Output.Split('\n').FirstOrDefault(predicate);
                        return Task.FromResult(found is not null || Process.HasExited);
                    },
                    "the tracker's listening line",
                    timeout);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"no matching line within {timeout}; stdout:\n{Output}\nstderr:\n{Errors}");
            }

            return found ?? throw new InvalidOperationException($"the process exited with {Process.ExitCode} first; stdout:\n{Output}\nstderr:\n{Errors}");
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await Process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the process did not exit within {timeout}; stdout:\n{Output}\nstderr:\n{Errors}");
            }

            return Process.ExitCode;
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }

            Process.Dispose();
        }

        private static void Append(StringBuilder target, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (target)
            {
                target.Append(line).Append('\n');
            }
        }
    }
}
