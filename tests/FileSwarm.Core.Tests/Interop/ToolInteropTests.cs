using System.Text.RegularExpressions;
using FileSwarm.Core.Creation;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;
using FileSwarm.Core.Tests.Infrastructure;

namespace FileSwarm.Core.Tests.Interop;

/// <summary>
/// FileSwarm's handlers against other people's tools, run as child processes: transmission-show reads what
/// FileSwarm writes, and FileSwarm reads what mktorrent and transmission-create write, with the same info-hash.
/// </summary>
public sealed partial class ToolInteropTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    /// <summary>Content shapes: name → file sizes (one entry = a single file; several = a directory tree).</summary>
    public static TheoryData<string> Shapes => ["one-byte", "exactly-one-piece", "one-byte-over", "few-mib", "nested-directory"];

    private string MakeContent(string shape) => shape switch
    {
        "empty" => _dir.WriteFile("content/empty.bin", []),
        "one-byte" => _dir.WriteFile("content/one.bin", [42]),
        "exactly-one-piece" => _dir.WriteFile("content/piece.bin", TestData.Bytes(32768)),
        "one-byte-over" => _dir.WriteFile("content/over.bin", TestData.Bytes(32769)),
        "few-mib" => _dir.WriteFile("content/few.bin", TestData.Bytes((3 << 20) + 12345)),
        "nested-directory" => MakeTree(),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    private string MakeTree()
    {
        _dir.WriteFile("content/tree/readme.txt", "hello"u8);
        _dir.WriteFile("content/tree/a/b/c/deep.bin", TestData.Bytes(70_000, 2));
        _dir.WriteFile("content/tree/a/empty", []);
        _dir.WriteFile("content/tree/a.txt", TestData.Bytes(33_000, 3));
        _dir.WriteFile("content/tree/a-b/x", TestData.Bytes(1, 4));
        _dir.WriteFile("content/tree/ünïcødé name.txt", "text"u8);
        return _dir.Combine("content", "tree");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Transmission_show_reads_fileswarm_handlers_with_the_same_info_hash(string shape)
    {
        var content = MakeContent(shape);
        var metainfo = await TorrentCreator.CreateAsync(content, new TorrentCreateOptions { PieceLength = 32768, Announce = "http://127.0.0.1:1/announce" });
        var torrent = _dir.WriteFile("fileswarm.torrent", metainfo.ToBytes());

        var show = await ExternalTool.RunCheckedAsync("transmission-show", _dir.Path, torrent);
        Assert.Equal(metainfo.InfoHash.ToString(), HashLine().Match(show.StdOut).Groups[1].Value);
        Assert.Contains($"Piece Count: {metainfo.PieceCount}", show.StdOut, StringComparison.Ordinal);
        Assert.Contains($"Name: {metainfo.Name}", show.StdOut, StringComparison.Ordinal);
        foreach (var file in metainfo.Files)
        {
            var shown = metainfo.IsMultiFile ? $"{metainfo.Name}/{file.DisplayPath}" : file.DisplayPath;
            Assert.Contains(shown, show.StdOut, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Mktorrent_handlers_open_with_the_same_info_hash_and_match_ours(string shape)
    {
        var content = MakeContent(shape);
        var torrent = _dir.Combine("mktorrent.torrent");
        await ExternalTool.RunCheckedAsync("mktorrent", _dir.Path, "-l", "15", "-a", "http://127.0.0.1:1/announce", "-o", torrent, content);

        var theirs = TorrentMetainfo.Load(torrent);
        var show = await ExternalTool.RunCheckedAsync("transmission-show", _dir.Path, torrent);
        Assert.Equal(HashLine().Match(show.StdOut).Groups[1].Value, theirs.InfoHash.ToString());

        // mktorrent writes exactly the info keys FileSwarm writes, so the same content gives the same identity.
        var ours = await TorrentCreator.CreateAsync(content, new TorrentCreateOptions { PieceLength = 32768 });
        Assert.Equal(theirs.InfoHash, ours.InfoHash);
        Assert.Equal(theirs.Files.Select(f => f.DisplayPath), ours.Files.Select(f => f.DisplayPath));
        Assert.Null(theirs.ContentSha1);
        AssertStoreVerifiesEveryPiece(theirs);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Transmission_create_handlers_open_with_the_same_info_hash(string shape)
    {
        var content = MakeContent(shape);
        var torrent = _dir.Combine("transmission.torrent");
        await ExternalTool.RunCheckedAsync("transmission-create", _dir.Path, "-o", torrent, "-t", "http://127.0.0.1:1/announce", content);

        var theirs = TorrentMetainfo.Load(torrent);
        var show = await ExternalTool.RunCheckedAsync("transmission-show", _dir.Path, torrent);
        Assert.Equal(HashLine().Match(show.StdOut).Groups[1].Value, theirs.InfoHash.ToString());

        var ours = await TorrentCreator.CreateAsync(content, new TorrentCreateOptions { PieceLength = 32768 });

        // transmission-create orders files its own way (and leaves out empty ones); whatever the order, FileSwarm's
        // piece store must find every piece of their handler in the content on disk.
        Assert.Equal(
            ours.Files.Where(f => f.Length > 0).Select(f => f.DisplayPath).Order(StringComparer.Ordinal),
            theirs.Files.Where(f => f.Length > 0).Select(f => f.DisplayPath).Order(StringComparer.Ordinal));
        Assert.Equal(ours.TotalLength, theirs.TotalLength);
        AssertStoreVerifiesEveryPiece(theirs);
    }

    /// <summary>Opens the content in place with <see cref="FilePieceStore"/> and checks every piece against the handler.</summary>
    private void AssertStoreVerifiesEveryPiece(TorrentMetainfo metainfo)
    {
        using var store = FilePieceStore.Open(metainfo, _dir.Combine("content"));
        Assert.Equal(metainfo.PieceCount, store.VerifyAll());
        Assert.True(store.IsComplete);
        Assert.Empty(Directory.EnumerateFiles(_dir.Combine("content"), "*" + FilePieceStore.PartSuffix, SearchOption.AllDirectories));
    }

    /// <summary>
    /// Empty content: FileSwarm, like mktorrent, writes a handler with zero pieces, and both agree on its
    /// info-hash. transmission 3.00 refuses empty content both ways (transmission-create reports a read error;
    /// transmission-show rejects zero-piece handlers), so it is not consulted here.
    /// </summary>
    [Fact]
    public async Task Empty_file_gives_a_zero_piece_handler_matching_mktorrent()
    {
        var content = MakeContent("empty");
        var torrent = _dir.Combine("mktorrent.torrent");
        await ExternalTool.RunCheckedAsync("mktorrent", _dir.Path, "-l", "15", "-o", torrent, content);
        var theirs = TorrentMetainfo.Load(torrent);
        var ours = await TorrentCreator.CreateAsync(content, new TorrentCreateOptions { PieceLength = 32768 });
        Assert.Equal(0, ours.PieceCount);
        Assert.Equal(0, ours.TotalLength);
        Assert.Equal(Sha1Hash.Compute([]), ours.ContentSha1);
        Assert.Equal(theirs.InfoHash, ours.InfoHash);
        Assert.Equal(ours.InfoHash, TorrentMetainfo.Parse(ours.ToBytes()).InfoHash);
    }

    public void Dispose() => _dir.Dispose();

    [GeneratedRegex(@"^\s*Hash:\s*([0-9a-f]{40})\s*$", RegexOptions.Multiline)]
    private static partial Regex HashLine();
}
