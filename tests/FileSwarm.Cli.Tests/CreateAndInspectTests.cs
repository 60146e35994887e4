using System.Text.Json;
using System.Text.RegularExpressions;
using FileSwarm.Core;
using FileSwarm.Core.Metainfo;

namespace FileSwarm.Cli.Tests;

public sealed partial class CreateAndInspectTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fileswarm-cli-test-").FullName;

    private string Write(string relative, byte[] content)
    {
        var path = Path.Join(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Create_writes_a_handler_that_inspect_and_transmission_show_agree_on()
    {
        var content = Bytes(100_000);
        Write("data.bin", content);
        var create = await CliProcess.FileSwarmAsync(_dir, "create", "data.bin", "--tracker", "http://127.0.0.1:6969/announce", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        using var created = JsonDocument.Parse(create.StdOut);
        var hash = created.RootElement.GetProperty("hash").GetString()!;
        Assert.Matches("^[0-9a-f]{40}$", hash);
        Assert.Equal(Sha1Hash.Compute(content).ToString(), created.RootElement.GetProperty("sha1").GetString());
        Assert.Equal("100000", created.RootElement.GetProperty("length").GetString());
        Assert.Equal(16384, created.RootElement.GetProperty("piece_length").GetInt32());
        Assert.Equal(7, created.RootElement.GetProperty("pieces").GetInt32());
        var torrent = Path.Join(_dir, "data.bin.torrent");
        Assert.Equal(torrent, created.RootElement.GetProperty("torrent").GetString());

        var inspect = await CliProcess.FileSwarmAsync(_dir, "inspect", torrent, "--json");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        using var inspected = JsonDocument.Parse(inspect.StdOut);
        Assert.Equal(hash, inspected.RootElement.GetProperty("hash").GetString());
        Assert.Equal("http://127.0.0.1:6969/announce", inspected.RootElement.GetProperty("announce").GetString());

        var show = await CliProcess.ToolAsync("transmission-show", _dir, torrent);
        Assert.Equal(hash, HashLine().Match(show.StdOut).Groups[1].Value);

        var text = await CliProcess.FileSwarmAsync(_dir, "inspect", torrent);
        Assert.Contains($"info-hash     {hash}", text.StdOut, StringComparison.Ordinal);
        Assert.Contains("7 × 16 KiB", text.StdOut, StringComparison.Ordinal);
        Assert.Contains("0-6", text.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_handles_directories_and_explicit_piece_lengths_like_mktorrent()
    {
        Write("tree/a/b.bin", Bytes(70_000));
        Write("tree/c.txt", Bytes(5));
        var create = await CliProcess.FileSwarmAsync(_dir, "create", "tree", "-o", "out/tree.torrent", "--piece-length", "32K");
        Assert.True(create.ExitCode != 0, "the output directory does not exist yet");
        Assert.Contains("out: the output directory does not exist", create.StdErr, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Join(_dir, "out"));
        create = await CliProcess.FileSwarmAsync(_dir, "create", "tree", "-o", "out/tree.torrent", "--piece-length", "32K");
        Assert.True(create.ExitCode == 0, create.ToString());
        await CliProcess.ToolAsync("mktorrent", _dir, "-l", "15", "-o", "mk.torrent", "tree");
        var ours = TorrentMetainfo.Load(Path.Join(_dir, "out", "tree.torrent"));
        var theirs = TorrentMetainfo.Load(Path.Join(_dir, "mk.torrent"));
        Assert.Equal(theirs.InfoHash, ours.InfoHash);
        Assert.Contains(ours.InfoHash.ToString(), create.StdOut, StringComparison.Ordinal);

        var inspect = await CliProcess.FileSwarmAsync(_dir, "inspect", "mk.torrent");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains(theirs.InfoHash.ToString(), inspect.StdOut, StringComparison.Ordinal);
        Assert.Contains("tree/a/b.bin", inspect.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Large_content_reports_plain_progress_lines_when_not_on_a_terminal()
    {
        Write("big.bin", Bytes(17 << 20));
        var create = await CliProcess.FileSwarmAsync(_dir, "create", "big.bin", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Contains("hashing big.bin: 100%", create.StdErr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(create.StdOut);
        Assert.Equal(1088, json.RootElement.GetProperty("pieces").GetInt32());
    }

    public static TheoryData<string[], string> UserErrors => new()
    {
        { ["create", "missing.bin"], "missing.bin: no such file or directory" },
        { ["create", "data.bin", "--piece-length", "1000"], "--piece-length: piece length 1000 is out of range" },
        { ["create", "data.bin", "--piece-length", "48K"], "not a power of two" },
        { ["create", "data.bin", "--piece-length", "lots"], "is not a size" },
        { ["create", "data.bin", "--tracker", "not a url"], "--tracker: \"not a url\" is not an absolute" },
        { ["create", "data.bin", "-o", "exists.torrent"], "already exists (use --force to overwrite)" },
        { ["create", "emptydir"], "the directory contains no files" },
        { ["inspect", "data.bin"], "not a valid .torrent file: invalid bencode at byte 0" },
        { ["inspect", "truncated.torrent"], "truncated.torrent: not a valid .torrent file: invalid bencode at byte 14: unexpected end of input" },
        { ["inspect", "evil.torrent"], "info.files[0].path[0]: is \"..\" (the parent directory)" },
        { ["inspect", "nope.torrent"], "nope.torrent" },
        { ["inspect"], "Required argument 'FILE.torrent' missing" },
        { ["frobnicate"], "Unrecognized command or argument 'frobnicate'" },
    };

    [Theory]
    [MemberData(nameof(UserErrors))]
    public async Task User_errors_are_one_line_on_stderr_with_a_non_zero_exit(string[] args, string message)
    {
        Write("data.bin", Bytes(10));
        Write("exists.torrent", [1]);
        Write("truncated.torrent", "d4:infod4:name"u8.ToArray());
        Write("evil.torrent", "d4:infod5:filesld6:lengthi1e4:pathl2:..6:passwdeee4:name1:x12:piece lengthi16384e6:pieces20:01234567890123456789ee"u8.ToArray());
        Directory.CreateDirectory(Path.Join(_dir, "emptydir"));

        var result = await CliProcess.FileSwarmAsync(_dir, args);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, result.ToString());
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut.Trim());
        Assert.Equal([1], File.ReadAllBytes(Path.Join(_dir, "exists.torrent")));
    }

    [Fact]
    public async Task Force_overwrites_and_no_temporary_files_are_left()
    {
        Write("data.bin", Bytes(10));
        Write("data.bin.torrent", [1]);
        var result = await CliProcess.FileSwarmAsync(_dir, "create", "data.bin", "--force", "--no-sha1");
        Assert.True(result.ExitCode == 0, result.ToString());
        var metainfo = TorrentMetainfo.Load(Path.Join(_dir, "data.bin.torrent"));
        Assert.Null(metainfo.ContentSha1);
        Assert.Contains("(not recorded)", result.StdOut, StringComparison.Ordinal);
        Assert.Equal(["data.bin", "data.bin.torrent"], Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Help_is_available_for_each_verb()
    {
        foreach (var verb in new[] { "create", "inspect" })
        {
            var result = await CliProcess.FileSwarmAsync(_dir, verb, "--help");
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("--json", result.StdOut, StringComparison.Ordinal);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"^\s*Hash:\s*([0-9a-f]{40})\s*$", RegexOptions.Multiline)]
    private static partial Regex HashLine();
}
