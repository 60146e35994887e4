using System.Diagnostics;
using System.Text.RegularExpressions;
using FileSwarm.Cli.Tests.Infrastructure;
using FileSwarm.Integration.Tests.Infrastructure;
using CliBuild = FileSwarm.Integration.Tests.Infrastructure.Cli;

namespace FileSwarm.Cli.Tests;

/// <summary>The interactive shell, through a real pseudo-terminal (tmux) and from a pipe.</summary>
public sealed class ShellTests(SwarmFixture swarm) : IClassFixture<SwarmFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task On_a_terminal_it_lists_gets_with_a_progress_bar_cancels_on_ctrl_c_and_quits()
    {
        var content = swarm.Cluster.CreateFile("tty.bin", 4 * 1024 * 1024, seed: 21);
        var hash = await swarm.A.UploadAsync(content);
        await using var tmux = await Tmux.StartAsync(["shell", "--peer", SwarmFixture.Url(swarm.Slow)]);

        await tmux.WaitForAsync("fileswarm> ", Deadline);
        Assert.Contains("FileSwarm shell on the peer at", await tmux.ScreenAsync(), StringComparison.Ordinal);
        await tmux.SendAsync("ls", "Enter");
        await tmux.WaitForAsync($@"tty\.bin\s+4 MiB\s+{hash}\s+-", Deadline);

        var local = swarm.Cluster.CreateFile("tty-share.bin", 100_000, seed: 23);
        await tmux.SendAsync($"share '{local}'", "Enter");
        await tmux.WaitForAsync(@"shared tty-share\.bin \(97.7 KiB, \d+ pieces", Deadline);

        await tmux.SendAsync($"get {hash}", "Enter");
        await tmux.WaitForAsync(@"tty\.bin .*\d+% .*/s\s+ETA .*peer", Deadline);
        Assert.Contains("━", await tmux.ScreenAsync(), StringComparison.Ordinal);

        await tmux.SendAsync("C-c");
        await tmux.WaitForAsync(@"cancelled the download of tty\.bin[^\n]*\n(.*\n)*cancelled\s*\nfileswarm> ", Deadline);
        using (var downloads = await swarm.Slow.GetAsync("/downloads"))
        {
            Assert.DoesNotContain(hash, await downloads.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await tmux.SendAsync("status", "Enter");
        await tmux.WaitForAsync("no downloads", Deadline);

        // Ctrl-C at the prompt does not leave the shell.
        await tmux.SendAsync("C-c");
        await tmux.WaitForAsync(@"type quit to leave\)\s*\nfileswarm> ", Deadline);
        await tmux.SendAsync("help", "Enter");
        await tmux.WaitForAsync("get HASH \\[-o DIR\\]", Deadline);
        await tmux.SendAsync("quit", "Enter");
        await tmux.WaitForExitAsync(Deadline);
    }

    [Fact]
    public async Task From_a_pipe_it_runs_each_line_with_plain_output()
    {
        var content = swarm.Cluster.CreateFile("piped.bin", 600_000, seed: 22);
        var outDir = Path.Join(swarm.Cluster.Root, "piped-out");
        var shared = await FileSwarmCli.RunAsync(["shell", "--peer", SwarmFixture.Url(swarm.A)], stdin: $"share \"{content}\"\nquit\n");
        Assert.True(shared.ExitCode == 0, shared.ToString());
        var hash = Regex.Match(shared.StdOut, "hash  ([0-9a-f]{40})").Groups[1].Value;
        Assert.Matches("^[0-9a-f]{40}$", hash);

        var script = $"""
            # comments and blank lines are skipped

            ls
            get {hash} -o {outDir}
            status
            rm {hash}
            status
            """;
        var result = await FileSwarmCli.RunAsync(["shell", "--peer", SwarmFixture.Url(swarm.B)], stdin: script + "\n");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("fileswarm> ", result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", result.StdOut, StringComparison.Ordinal);
        Assert.Matches($@"piped\.bin\s+586 KiB\s+{hash}\s+-", result.StdOut);
        Assert.Matches(@"(?m)^piped\.bin: complete 100%", result.StdOut);
        Assert.Contains("downloaded piped.bin (586 KiB)", result.StdOut, StringComparison.Ordinal);
        Assert.Matches($@"piped\.bin\s+complete\s+100%.*{hash}", result.StdOut);
        Assert.Contains($"removed piped.bin ({hash})", result.StdOut, StringComparison.Ordinal);
        Assert.EndsWith("no downloads; start one with: fileswarm get HASH", result.StdOut.TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(content), await File.ReadAllBytesAsync(Path.Join(outDir, "piped.bin")));
    }

    [Fact]
    public async Task From_a_pipe_a_failed_command_is_reported_and_sets_the_exit_code()
    {
        var result = await FileSwarmCli.RunAsync(["shell", "--peer", SwarmFixture.Url(swarm.B)], stdin: "frobnicate\nget nothex\nshare\nstatus\n");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: unknown command \"frobnicate\"; type help", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("error: \"nothex\" is not a hash", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("usage: share PATH", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("downloads", result.StdOut, StringComparison.Ordinal);

        var unreachable = await FileSwarmCli.RunAsync(["shell", "--peer", $"127.0.0.1:{FileSwarmCli.ClosedPort()}"], stdin: "ls\n");
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("cannot reach the peer at", unreachable.StdErr, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"^\s+at ", RegexOptions.Multiline), unreachable.StdErr);
    }

    /// <summary>The CLI in a tmux session on its own server socket: keys in, screen out.</summary>
    private sealed class Tmux : IAsyncDisposable
    {
        private readonly string _socket = "fileswarm-test-" + Guid.NewGuid().ToString("N")[..10];

        public static async Task<Tmux> StartAsync(string[] args)
        {
            var tmux = new Tmux();
            var command = string.Join(' ', new[] { "env", "FILESWARM_CONFIG=", "dotnet", CliBuild.DllPath }.Concat(args).Select(Quote));
            await tmux.RunAsync(["new-session", "-d", "-s", "cli", "-x", "160", "-y", "50", command]);
            return tmux;
        }

        public Task SendAsync(params string[] keys) => RunAsync(["send-keys", "-t", "cli", .. keys]);

        public async Task<string> ScreenAsync() => (await RunAsync(["capture-pane", "-p", "-J", "-t", "cli"], check: false)).Output;

        public async Task WaitForAsync(string pattern, TimeSpan timeout)
        {
            var regex = new Regex(pattern);
            var screen = "";
            await Poll.UntilAsync(async () => regex.IsMatch(screen = await ScreenAsync()), timeout, () => $"/{pattern}/ on the screen:\n{screen}");
        }

        public Task WaitForExitAsync(TimeSpan timeout) =>
            Poll.UntilAsync(async () => (await RunAsync(["has-session", "-t", "cli"], check: false)).ExitCode != 0, timeout, () => "the shell to exit");

        public async ValueTask DisposeAsync() => await RunAsync(["kill-server"], check: false);

        private async Task<(int ExitCode, string Output)> RunAsync(string[] args, bool check = true)
        {
            var start = new ProcessStartInfo(Core.Tests.Infrastructure.ExternalTool.Require("tmux"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-L");
            start.ArgumentList.Add(_socket);
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["LC_ALL"] = "C.UTF-8";
            start.Environment.Remove("TMUX");
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(!check || process.ExitCode == 0, $"tmux {string.Join(' ', args)}: {error}");
            return (process.ExitCode, output);
        }

        private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
