using FileSwarm.Core.Creation;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Tests.Infrastructure;

namespace FileSwarm.Core.Tests.Creation;

public class TorrentCreatorTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private sealed class FixedTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task Single_file_handler_records_pieces_and_content_sha1()
    {
        using var dir = new TempDirectory();
        var content = TestData.Bytes(100_000);
        var path = dir.WriteFile("data.bin", content);
        var metainfo = await TorrentCreator.CreateAsync(path, new TorrentCreateOptions { Announce = "http://t/announce", TimeProvider = new FixedTime() });
        Assert.Equal("data.bin", metainfo.Name);
        Assert.False(metainfo.IsMultiFile);
        Assert.Equal(PieceLengths.Minimum, metainfo.PieceLength);
        Assert.Equal(7, metainfo.PieceCount);
        Assert.Equal(Sha1Hash.Compute(content), metainfo.ContentSha1);
        Assert.Equal(Now, metainfo.CreationDate);
        Assert.Equal("FileSwarm", metainfo.CreatedBy);
        Assert.Equal("http://t/announce", metainfo.Announce);
        for (var piece = 0; piece < metainfo.PieceCount; piece++)
        {
            var offset = (int)metainfo.GetPieceOffset(piece);
            Assert.True(metainfo.VerifyPiece(piece, content.AsSpan(offset, metainfo.GetPieceSize(piece))));
        }
    }

    [Fact]
    public async Task Directory_handler_orders_files_by_path_bytes()
    {
        using var dir = new TempDirectory();
        dir.WriteFile("tree/a/x", "1"u8);
        dir.WriteFile("tree/a.txt", "22"u8);
        dir.WriteFile("tree/a-b", "333"u8);
        dir.WriteFile("tree/.hidden", ""u8);
        dir.WriteFile("tree/Z/deep/er/file", "4444"u8);
        var metainfo = await TorrentCreator.CreateAsync(dir.Combine("tree"), new TorrentCreateOptions { PieceLength = 32768 });
        Assert.True(metainfo.IsMultiFile);
        Assert.Equal("tree", metainfo.Name);
        Assert.Equal([".hidden", "Z/deep/er/file", "a-b", "a.txt", "a/x"], metainfo.Files.Select(f => f.DisplayPath));
        Assert.Equal(10, metainfo.TotalLength);
        Assert.Equal(Sha1Hash.Compute("4444333221"u8), metainfo.ContentSha1);
    }

    [Fact]
    public async Task Same_content_gives_the_same_info_hash()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("f", TestData.Bytes(50_000));
        var a = await TorrentCreator.CreateAsync(path, new TorrentCreateOptions { TimeProvider = new FixedTime() });
        var b = await TorrentCreator.CreateAsync(path, new TorrentCreateOptions { IncludeCreationDate = false, Comment = "other", ComputeContentSha1 = false });
        Assert.Equal(a.InfoHash, b.InfoHash);
        Assert.Null(b.ContentSha1);
    }

    [Theory]
    [InlineData(1000, "out of range")]
    [InlineData(49152, "power of two")]
    public async Task Bad_piece_lengths_are_refused(int pieceLength, string reason)
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("f", "x"u8);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => TorrentCreator.CreateAsync(path, new TorrentCreateOptions { PieceLength = pieceLength }));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_many_pieces_are_refused_before_hashing()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("sparse");
        using (var file = File.Create(path))
        {
            file.SetLength(((long)PieceLengths.MaxPieceCount * 16384) + 1); // sparse: nothing is written
        }

        var source = ContentSource.Scan(path);
        Assert.Contains("more than the limit", TorrentCreator.GetOptionsError(source, new TorrentCreateOptions { PieceLength = 16384 }), StringComparison.Ordinal);
        Assert.Null(TorrentCreator.GetOptionsError(source, new TorrentCreateOptions()));
        await Assert.ThrowsAsync<ArgumentException>(() => TorrentCreator.CreateAsync(source, new TorrentCreateOptions { PieceLength = 16384 }));
    }

    [Fact]
    public void Scanning_refuses_missing_paths_empty_directories_and_unsafe_names()
    {
        using var dir = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => ContentSource.Scan(dir.Combine("missing")));
        Directory.CreateDirectory(dir.Combine("empty", "sub"));
        Assert.Contains("no files", Assert.Throws<IOException>(() => ContentSource.Scan(dir.Combine("empty"))).Message, StringComparison.Ordinal);
        dir.WriteFile("bad/a\\b", "x"u8);
        Assert.Contains("contains '\\'", Assert.Throws<IOException>(() => ContentSource.Scan(dir.Combine("bad"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Symbolic_links_are_not_followed()
    {
        using var dir = new TempDirectory();
        dir.WriteFile("tree/real", "abc"u8);
        File.CreateSymbolicLink(dir.Combine("tree", "link"), "/etc/hostname");
        Directory.CreateSymbolicLink(dir.Combine("tree", "dirlink"), "/etc");
        var metainfo = await TorrentCreator.CreateAsync(dir.Combine("tree"));
        Assert.Equal(["real"], metainfo.Files.Select(f => f.DisplayPath));

        // A single file named through a link is followed, under the link's name.
        File.CreateSymbolicLink(dir.Combine("alias"), dir.Combine("tree", "real"));
        var single = await TorrentCreator.CreateAsync(dir.Combine("alias"));
        Assert.Equal("alias", single.Name);
        Assert.Equal(3, single.TotalLength);
        Assert.Equal(Sha1Hash.Compute("abc"u8), single.ContentSha1);
    }
}
