using System.Text.Json;
using FileSwarm.Cli.Tests.Infrastructure;

namespace FileSwarm.Cli.Tests;

/// <summary>--help on every verb; settings from flags, FILESWARM_* and the config file, in that order of precedence.</summary>
public sealed class HelpAndConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fileswarm-cli-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("tracker", "--grpc")]
    [InlineData("peer", "--http")]
    [InlineData("create", "--piece-length")]
    [InlineData("inspect", "FILE.torrent")]
    [InlineData("share", "PATH")]
    [InlineData("get", "--output")]
    [InlineData("ls", "--peer")]
    [InlineData("status", "--json")]
    [InlineData("rm", "HASH")]
    [InlineData("shell", "--api-token")]
    [InlineData("demo", "--size")]
    [InlineData("config", "VERB")]
    [InlineData(null, "Commands:")]
    public async Task Every_verb_has_help(string? verb, string mentions)
    {
        var result = await FileSwarmCli.RunAsync(verb is null ? ["--help"] : [verb, "--help"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.StdOut, StringComparison.Ordinal);
        Assert.Contains(mentions, result.StdOut, StringComparison.Ordinal);
        Assert.Equal("", result.StdErr);
    }

    [Fact]
    public async Task No_verb_without_a_terminal_is_a_usage_error()
    {
        var result = await FileSwarmCli.RunAsync([]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Required command was not provided", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_settings_take_flag_then_environment_then_file_then_default()
    {
        var file = WriteConfig("""{"peer": "127.0.0.1:1001", "api-token": "from-the-file"}""");
        await AssertSetting(["status"], new() { ["FILESWARM_CONFIG"] = file }, "peer", "127.0.0.1:1001", $"\"peer\" in {file}");
        await AssertSetting(["status"], new() { ["FILESWARM_CONFIG"] = file, ["FILESWARM_PEER"] = "1002" }, "peer", "1002", "FILESWARM_PEER");
        await AssertSetting(["status", "--peer", "1003"], new() { ["FILESWARM_CONFIG"] = file, ["FILESWARM_PEER"] = "1002" }, "peer", "1003", "--peer");
        await AssertSetting(["status"], [], "peer", "http://127.0.0.1:8000/", "default");
        await AssertSetting(["status"], new() { ["FILESWARM_CONFIG"] = file }, "api-token", "from-the-file", $"\"api-token\" in {file}");

        // The value really is used: the error names the peer each source picked.
        foreach (var (args, environment, port) in new (string[], Dictionary<string, string>, int)[]
        {
            (["status", "--config", file], [], 1001),
            (["status", "--config", file], new() { ["FILESWARM_PEER"] = "127.0.0.1:1002" }, 1002),
            (["status", "--config", file, "--peer", "127.0.0.1:1003"], new() { ["FILESWARM_PEER"] = "127.0.0.1:1002" }, 1003),
        })
        {
            var result = await FileSwarmCli.RunAsync(args, environment);
            FileSwarmCli.AssertOneLineError(result, "status", $"cannot reach the peer at http://127.0.0.1:{port}:");
        }
    }

    [Fact]
    public async Task Server_settings_take_the_same_precedence()
    {
        var file = WriteConfig("""{"grpc": "127.0.0.1:7001", "http": "127.0.0.1:8001", "data-dir": "/from/file", "max-uploads": 3}""");
        await AssertSetting(["tracker"], new() { ["FILESWARM_CONFIG"] = file }, "grpc", "127.0.0.1:7001", $"\"grpc\" in {file}");
        await AssertSetting(["tracker"], new() { ["FILESWARM_CONFIG"] = file, ["FILESWARM_GRPC"] = "7002" }, "grpc", "7002", "FILESWARM_GRPC");
        await AssertSetting(["peer", "--data-dir", "/from/flag"], new() { ["FILESWARM_CONFIG"] = file, ["FILESWARM_DATA_DIR"] = "/from/env" }, "data-dir", "/from/flag", "--data-dir");
        await AssertSetting(["peer"], new() { ["FILESWARM_CONFIG"] = file, ["FILESWARM_DATA_DIR"] = "/from/env" }, "data-dir", "/from/env", "FILESWARM_DATA_DIR");
        await AssertSetting(["peer"], new() { ["FILESWARM_CONFIG"] = file }, "max-uploads", "3", $"\"max-uploads\" in {file}");
        await AssertSetting(["peer"], [], "max-uploads", "16", "default");
    }

    [Fact]
    public async Task A_peer_and_a_tracker_really_start_from_the_environment_and_the_file()
    {
        var file = WriteConfig($$"""{"http": "127.0.0.1:0", "grpc": "127.0.0.1:0", "data-dir": "{{Path.Join(_dir, "file-data")}}"}""");
        var envData = Path.Join(_dir, "env-data");
        using var peer = FileSwarmCli.Start(["peer", "--config", file], new Dictionary<string, string> { ["FILESWARM_DATA_DIR"] = envData, ["FILESWARM_TRACKER"] = "127.0.0.1:1" });
        using var tracker = FileSwarmCli.Start(["tracker"], new Dictionary<string, string> { ["FILESWARM_CONFIG"] = file, ["FILESWARM_GRPC"] = "127.0.0.2:0" });
        try
        {
            var peerLines = await ReadUntilAsync(peer, "peer id ");
            Assert.Contains($"data in {envData}", peerLines, StringComparison.Ordinal);
            Assert.Contains("peer http listening on http://127.0.0.1:", peerLines, StringComparison.Ordinal);
            Assert.Contains("tracker listening on 127.0.0.2:", await ReadUntilAsync(tracker, "tracker listening"), StringComparison.Ordinal);
        }
        finally
        {
            peer.Kill(entireProcessTree: true);
            tracker.Kill(entireProcessTree: true);
            await Task.WhenAll(peer.WaitForExitAsync(), tracker.WaitForExitAsync());
        }
    }

    [Fact]
    public async Task Bad_configuration_is_one_clear_line()
    {
        var typo = WriteConfig("""{"peeer": "8000"}""");
        var result = await FileSwarmCli.RunAsync(["status", "--config", typo]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"config file {typo}: unknown setting \"peeer\"", result.StdErr, StringComparison.Ordinal);

        var notJson = WriteConfig("{ peer: ");
        result = await FileSwarmCli.RunAsync(["status"], new Dictionary<string, string> { ["FILESWARM_CONFIG"] = notJson });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not valid JSON", result.StdErr, StringComparison.Ordinal);

        result = await FileSwarmCli.RunAsync(["status", "--config", Path.Join(_dir, "missing.json")]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("missing.json: no such file", result.StdErr, StringComparison.Ordinal);

        result = await FileSwarmCli.RunAsync(["status"], new Dictionary<string, string> { ["FILESWARM_PEER"] = "not a url" });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("(from FILESWARM_PEER)", result.StdErr, StringComparison.Ordinal);
        Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task The_default_config_file_is_under_xdg_config_home()
    {
        Directory.CreateDirectory(Path.Join(_dir, "xdg", "fileswarm"));
        await File.WriteAllTextAsync(Path.Join(_dir, "xdg", "fileswarm", "config.json"), """{"peer": "127.0.0.1:1004"}""");
        var environment = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = Path.Join(_dir, "xdg") };
        var none = await FileSwarmCli.RunAsync(["config", "status", "--json"], new Dictionary<string, string>(environment) { ["FILESWARM_CONFIG"] = "" });
        Assert.Equal("default", Setting(none, "peer").Source);
        var found = await FileSwarmCli.RunAsync(["config", "status", "--json"], new Dictionary<string, string>(environment) { ["FILESWARM_CONFIG"] = FileSwarmCli.Unset });
        Assert.Equal("127.0.0.1:1004", Setting(found, "peer").Value);
        Assert.EndsWith(Path.Join("xdg", "fileswarm", "config.json"), Setting(found, "peer").Source, StringComparison.Ordinal);
    }

    private string WriteConfig(string json)
    {
        var path = Path.Join(_dir, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static async Task AssertSetting(string[] commandLine, Dictionary<string, string> environment, string name, string value, string source)
    {
        var result = await FileSwarmCli.RunAsync(["config", .. commandLine, "--json"], environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        var setting = Setting(result, name);
        Assert.True((value, source) == (setting.Value, setting.Source), $"{string.Join(' ', commandLine)}: expected {name}={value} from {source}, got {setting.Value} from {setting.Source}");
    }

    private static (string? Value, string Source) Setting(FileSwarmCli.Result result, string name)
    {
        using var json = JsonDocument.Parse(result.StdOut);
        var setting = json.RootElement.GetProperty("settings").GetProperty(name);
        return (setting.GetProperty("value").GetString(), setting.GetProperty("source").GetString()!);
    }

    private static async Task<string> ReadUntilAsync(System.Diagnostics.Process process, string marker)
    {
        var text = new System.Text.StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            text.AppendLine(line);
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return text.ToString();
            }
        }

        throw new InvalidOperationException($"exited before printing \"{marker}\": {text}{await process.StandardError.ReadToEndAsync()}");
    }
}
