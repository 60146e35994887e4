using System.Text.Json;
using FileSwarm.Cli.Tests.Infrastructure;
using FileSwarm.Integration.Tests.Infrastructure;

namespace FileSwarm.Cli.Tests;

/// <summary>share, get, ls, status and rm against real peers: output for people, plain progress lines, --json, exit codes.</summary>
public sealed class ClientVerbTests(SwarmFixture swarm) : IClassFixture<SwarmFixture>
{
    private static Task<FileSwarmCli.Result> Run(params string[] args) => FileSwarmCli.RunAsync(args);

    private static string[] At(PeerProcess peer, params string[] args) => [.. args, "--peer", SwarmFixture.Url(peer)];

    [Fact]
    public async Task Share_ls_get_status_and_rm_work_in_text_and_json()
    {
        var content = swarm.Cluster.CreateFile("verbs.bin", 3 * 1024 * 1024 + 17, seed: 11);

        var share = await Run(At(swarm.A, "share", content));
        Assert.True(share.ExitCode == 0, share.ToString());
        var hash = Assert.Single(System.Text.RegularExpressions.Regex.Matches(share.StdOut, @"hash  ([0-9a-f]{40})")).Groups[1].Value;
        Assert.Contains("shared verbs.bin", share.StdOut, StringComparison.Ordinal);

        var listed = await Run(At(swarm.B, "ls", "--json"));
        Assert.True(listed.ExitCode == 0, listed.ToString());
        using (var json = JsonDocument.Parse(listed.StdOut))
        {
            var file = json.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("hash").GetString() == hash);
            Assert.Equal(JsonValueKind.Null, file.GetProperty("here").ValueKind);
            Assert.Equal((3 * 1024 * 1024 + 17).ToString(System.Globalization.CultureInfo.InvariantCulture), file.GetProperty("length").GetString());
        }

        var seederList = await Run(At(swarm.A, "ls"));
        Assert.Matches($@"verbs\.bin\s+3 MiB\s+{hash}\s+shared", seederList.StdOut);

        var outDir = Path.Join(swarm.Cluster.Root, "out-text");
        var get = await Run(At(swarm.B, "get", hash, "-o", outDir));
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("downloaded verbs.bin (3 MiB)", get.StdOut, StringComparison.Ordinal);
        Assert.Contains($"copied to:   {Path.Join(outDir, "verbs.bin")}", get.StdOut, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(content), await File.ReadAllBytesAsync(Path.Join(outDir, "verbs.bin")));

        // Not a terminal: plain progress lines on stderr, ending with the completed state; no terminal escapes anywhere.
        Assert.Matches(@"(?m)^verbs\.bin: complete 100% 3 MiB of 3 MiB, .*$", get.StdErr);
        Assert.DoesNotContain("\u001b[", get.StdOut + get.StdErr, StringComparison.Ordinal);

        var status = await Run(At(swarm.B, "status", "--json"));
        Assert.True(status.ExitCode == 0, status.ToString());
        using (var json = JsonDocument.Parse(status.StdOut))
        {
            var download = json.RootElement.GetProperty("downloads").EnumerateArray().Single(d => d.GetProperty("hash").GetString() == hash);
            Assert.Equal("complete", download.GetProperty("state").GetString());
        }

        var statusText = await Run(At(swarm.B, "status"));
        Assert.Matches($@"verbs\.bin\s+complete\s+100%\s+3 MiB\s+-\s+\d+\s+-\s+{hash}", statusText.StdOut);
        Assert.Matches($@"verbs\.bin\s+3 MiB\s+{hash}\s+download, complete", (await Run(At(swarm.B, "ls"))).StdOut);

        // Getting it again is immediate; --json gives the path on the peer.
        var again = await Run(At(swarm.B, "get", hash.ToUpperInvariant(), "--json"));
        Assert.True(again.ExitCode == 0, again.ToString());
        using (var json = JsonDocument.Parse(again.StdOut))
        {
            Assert.Equal(hash, json.RootElement.GetProperty("hash").GetString());
            Assert.Equal(Path.Join(swarm.B.DownloadsDirectory, "verbs.bin"), json.RootElement.GetProperty("path").GetString());
        }

        var removed = await Run(At(swarm.B, "rm", hash, "--json"));
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Equal(hash, JsonDocument.Parse(removed.StdOut).RootElement.GetProperty("hash").GetString());
        FileSwarmCli.AssertOneLineError(await Run(At(swarm.B, "rm", hash)), "rm", $"no file {hash} is known");
        Assert.True(File.Exists(Path.Join(swarm.B.DownloadsDirectory, "verbs.bin")), "a finished download stays on disk after rm");
    }

    [Fact]
    public async Task Get_detach_returns_at_once_and_status_follows_it()
    {
        var content = swarm.Cluster.CreateFile("detached.bin", 200_000, seed: 12);
        var hash = await swarm.A.UploadAsync(content);
        var get = await Run(At(swarm.B, "get", hash, "--detach", "--json"));
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(hash, JsonDocument.Parse(get.StdOut).RootElement.GetProperty("hash").GetString());
        await swarm.B.WaitForDownloadAsync(hash, TimeSpan.FromSeconds(60));
        var status = await Run(At(swarm.B, "status"));
        Assert.Matches($@"detached\.bin\s+complete\s+100%", status.StdOut);
    }

    [Fact]
    public async Task Ctrl_c_during_get_cancels_the_download_on_the_peer_and_exits_130()
    {
        var hash = await swarm.A.UploadAsync(swarm.Cluster.CreateFile("interrupted.bin", 4 * 1024 * 1024, seed: 13));
        using var get = FileSwarmCli.Start(At(swarm.Slow, "get", hash));
        get.StandardInput.Close();
        var stdout = get.StandardOutput.ReadToEndAsync();
        var progress = new System.Text.StringBuilder();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (await get.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                progress.AppendLine(line);
                if (line.StartsWith("interrupted.bin: downloading ", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }

        Assert.Contains("interrupted.bin: downloading ", progress.ToString(), StringComparison.Ordinal);
        System.Diagnostics.Process.Start("kill", ["-INT", get.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        var rest = await get.StandardError.ReadToEndAsync();
        await get.WaitForExitAsync();
        Assert.True(get.ExitCode == 130, $"exit {get.ExitCode}: {await stdout}{progress}{rest}");
        Assert.Contains("cancelled the download of interrupted.bin; the peer dropped it and its partial file", rest, StringComparison.Ordinal);
        Assert.Contains("fileswarm get: error: cancelled", rest, StringComparison.Ordinal);
        using var downloads = await swarm.Slow.GetAsync("/downloads");
        Assert.DoesNotContain(hash, await downloads.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Join(swarm.Slow.DownloadsDirectory, "interrupted.bin.part")), "the partial file is gone");
    }

    [Theory]
    [InlineData("share", "{an existing file}")]
    [InlineData("get", "0123456789abcdef0123456789abcdef01234567")]
    [InlineData("ls", null)]
    [InlineData("status", null)]
    [InlineData("rm", "0123456789abcdef0123456789abcdef01234567")]
    public async Task An_unreachable_peer_is_one_line_and_exit_1(string verb, string? argument)
    {
        var port = FileSwarmCli.ClosedPort();
        argument = argument == "{an existing file}" ? typeof(ClientVerbTests).Assembly.Location : argument;
        string[] args = argument is null ? [verb] : [verb, argument];
        var result = await Run([.. args, "--peer", $"127.0.0.1:{port}"]);
        FileSwarmCli.AssertOneLineError(result, verb, $"cannot reach the peer at http://127.0.0.1:{port}: connection refused");
    }

    [Fact]
    public async Task User_errors_are_one_line_and_exit_1()
    {
        var unknown = "0123456789abcdef0123456789abcdef01234567";
        FileSwarmCli.AssertOneLineError(await Run(At(swarm.B, "get", unknown)), "get", $"no file {unknown} is known");
        FileSwarmCli.AssertOneLineError(await Run(At(swarm.B, "get", "not-a-hash")), "get", "\"not-a-hash\" is not a hash");
        FileSwarmCli.AssertOneLineError(await Run(At(swarm.B, "rm", "abc")), "rm", "\"abc\" is not a hash");
        FileSwarmCli.AssertOneLineError(await Run(At(swarm.A, "share", Path.Join(swarm.Cluster.Root, "missing.bin"))), "share", "missing.bin: no such file or directory");
        var aFile = swarm.Cluster.CreateFile("plain-file", 10);
        FileSwarmCli.AssertOneLineError(await Run(At(swarm.B, "get", unknown, "-o", aFile)), "get", "is a file; give a directory");

        var usage = await Run("get");
        Assert.Equal(1, usage.ExitCode);
        Assert.StartsWith("fileswarm: error: ", usage.StdErr, StringComparison.Ordinal);
        var badPeer = await Run("ls", "--peer", "http://[bad");
        Assert.Equal(1, badPeer.ExitCode);
        Assert.Contains("--peer: \"http://[bad\" is not a peer address", badPeer.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_with_a_token_takes_it_from_the_flag_the_environment_or_the_config_file()
    {
        var url = SwarmFixture.Url(swarm.Locked);
        FileSwarmCli.AssertOneLineError(await Run("ls", "--peer", url), "ls", "needs its API token: --api-token TOKEN or FILESWARM_API_TOKEN");
        Assert.Equal(0, (await Run("ls", "--peer", url, "--api-token", SwarmFixture.Token)).ExitCode);

        var environment = new Dictionary<string, string> { ["FILESWARM_API_TOKEN"] = SwarmFixture.Token, ["FILESWARM_PEER"] = url };
        var fromEnvironment = await FileSwarmCli.RunAsync(["status"], environment);
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());

        var config = Path.Join(swarm.Cluster.Root, "token-config.json");
        await File.WriteAllTextAsync(config, $$"""{"peer": "{{url}}", "api-token": "{{SwarmFixture.Token}}"}""");
        Assert.Equal(0, (await Run("status", "--config", config)).ExitCode);

        // The flag beats the environment, which beats the file.
        var wrongFlag = await FileSwarmCli.RunAsync(["status", "--api-token", "wrong-token", "--config", config], environment);
        FileSwarmCli.AssertOneLineError(wrongFlag, "status", "needs its API token");
        var wrongEnvironment = await FileSwarmCli.RunAsync(["status", "--config", config], new Dictionary<string, string> { ["FILESWARM_API_TOKEN"] = "wrong-token" });
        FileSwarmCli.AssertOneLineError(wrongEnvironment, "status", "needs its API token");
    }
}
