using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FileSwarm.Cli.Tests.Infrastructure;
using FileSwarm.Integration.Tests.Infrastructure;

namespace FileSwarm.Cli.Tests;

/// <summary>`fileswarm demo` runs the real thing and leaves nothing behind, also when interrupted.</summary>
public sealed partial class DemoTests : IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("fileswarm-demo-test-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    [Fact]
    public async Task Demo_shares_downloads_verifies_and_cleans_up()
    {
        var result = await FileSwarmCli.RunAsync(["demo", "--size", "6M"], new Dictionary<string, string> { ["TMPDIR"] = _tmp });
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[1/6] tracker  listening on 127.0.0.1:", result.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"\[4/6\] peer A shares it: info-hash [0-9a-f]{40}", result.StdOut);
        Assert.Matches(@"(?m)^demo\.bin: complete 100% 6 MiB of 6 MiB", result.StdOut);
        Assert.Matches(@"\[6/6\] SHA-1 of peer B's copy ([0-9a-f]{40}) matches the original: verified", result.StdOut);
        Assert.Contains("./fileswarm get HASH --peer 8000", result.StdOut, StringComparison.Ordinal);
        AssertNothingLeft(result.StdOut);
    }

    [Fact]
    public async Task Ctrl_c_mid_download_stops_every_process_and_removes_the_temp_dir()
    {
        using var demo = FileSwarmCli.Start(["demo", "--size", "64M", "--max-download-rate", "1M"], new Dictionary<string, string> { ["TMPDIR"] = _tmp });
        demo.StandardInput.Close();
        var output = new StringBuilder();
        var reader = Task.Run(async () =>
        {
            while (await demo.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        });
        var stderr = demo.StandardError.ReadToEndAsync();
        string Text()
        {
            lock (output)
            {
                return output.ToString();
            }
        }

        await Poll.UntilAsync(() => Task.FromResult(Regex.IsMatch(Text(), @"demo\.bin: downloading \d+%")), TimeSpan.FromSeconds(90), () => "the download to start:\n" + Text());
        Assert.NotEmpty(Directory.GetDirectories(_tmp));
        Process.Start("kill", ["-INT", demo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await demo.WaitForExitAsync(timeout.Token);
        await reader;
        Assert.True(demo.ExitCode == 130, $"exit {demo.ExitCode}\n{Text()}\n{await stderr}");
        Assert.Contains("demo: interrupted", Text(), StringComparison.Ordinal);
        AssertNothingLeft(Text());
    }

    private void AssertNothingLeft(string output)
    {
        var pids = PidPattern().Matches(output).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, pids.Count);
        foreach (var pid in pids)
        {
            Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} is still running");
        }

        var work = WorkPattern().Match(output).Groups[1].Value;
        Assert.StartsWith(_tmp, work, StringComparison.Ordinal);
        Assert.False(Directory.Exists(work), $"{work} is still there");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_tmp));
    }

    [GeneratedRegex(@"\(pid (\d+)[,)]")]
    private static partial Regex PidPattern();

    [GeneratedRegex(@"working in (\S+) ")]
    private static partial Regex WorkPattern();
}
