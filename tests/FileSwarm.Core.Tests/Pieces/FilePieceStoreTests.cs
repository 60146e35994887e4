using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;
using FileSwarm.Core.Tests.Infrastructure;

namespace FileSwarm.Core.Tests.Pieces;

/// <summary>
/// The file-backed store: the shared contract (inherited) plus what only it promises: .part files, final names,
/// resume, and staying inside its directory.
/// </summary>
public sealed class FilePieceStoreTests : PieceStoreConformanceTests
{
    protected override IPieceStore CreateStore(TorrentMetainfo metainfo) => FilePieceStore.Open(metainfo, Temp.Combine("downloads"));

    private string Downloads => Temp.Combine("downloads");

    [Fact]
    public void Files_are_presized_part_files_until_every_piece_is_verified()
    {
        var (metainfo, content) = MultiFileContent();
        using (var store = FilePieceStore.Open(metainfo, Downloads))
        {
            var files = metainfo.Files.Select(f => Path.Join([Downloads, .. f.StoragePath])).ToArray();
            Assert.Equal(files, store.FinalPaths);
            for (var i = 0; i < files.Length; i++)
            {
                Assert.False(File.Exists(files[i]));
                Assert.Equal(metainfo.Files[i].Length, new FileInfo(files[i] + FilePieceStore.PartSuffix).Length);
            }

            for (var piece = 0; piece < metainfo.PieceCount; piece++)
            {
                Assert.False(files.Any(File.Exists), "a final name appeared before the last piece was verified");
                WritePiece(store, content, piece);
                Assert.True(store.VerifyPiece(piece));
            }

            Assert.True(store.IsComplete);
            Assert.All(files, f => Assert.False(File.Exists(f + FilePieceStore.PartSuffix)));
            Assert.Equal(content, files.SelectMany(File.ReadAllBytes).ToArray());

            // Still serves after the rename.
            var buffer = new byte[100];
            store.ReadBlock(1, 0, buffer);
            Assert.Equal(content.AsSpan(PieceLength, 100).ToArray(), buffer);
        }

        // Reopening complete content finds every piece without creating .part files.
        using var reopened = FilePieceStore.Open(metainfo, Downloads);
        Assert.Equal(metainfo.PieceCount, reopened.VerifyAll());
        Assert.Empty(Directory.EnumerateFiles(Downloads, "*.part", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_whole_piece_that_completes_the_content_gives_the_part_files_their_names()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = FilePieceStore.Open(metainfo, Downloads);
        for (var piece = 0; piece < metainfo.PieceCount; piece++)
        {
            Assert.False(store.FinalPaths.Any(File.Exists), "a final name appeared before the last piece was written");
            Assert.True(store.WritePiece(piece, PieceOf(metainfo, content, piece)));
        }

        Assert.True(store.IsComplete);
        Assert.Empty(Directory.EnumerateFiles(Downloads, "*" + FilePieceStore.PartSuffix, SearchOption.AllDirectories));
        Assert.Equal(content, store.FinalPaths.SelectMany(File.ReadAllBytes).ToArray());
        var buffer = new byte[100];
        store.ReadBlock(2, 50, buffer);
        Assert.Equal(content.AsSpan((2 * PieceLength) + 50, 100).ToArray(), buffer);
    }

    [Fact]
    public void A_whole_piece_that_fails_its_hash_leaves_the_part_files_untouched()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = FilePieceStore.Open(metainfo, Downloads);
        var parts = metainfo.Files.Select(f => Path.Join([Downloads, .. f.StoragePath]) + FilePieceStore.PartSuffix).ToArray();
        for (var piece = 0; piece < metainfo.PieceCount; piece++)
        {
            var corrupt = PieceOf(metainfo, content, piece).ToArray();
            corrupt[corrupt.Length / 2] ^= 0x10;
            Assert.False(store.WritePiece(piece, corrupt));
        }

        store.Flush();
        Assert.All(parts, part => Assert.True(File.ReadAllBytes(part).AsSpan().IndexOfAnyExcept((byte)0) < 0, $"{part} was written"));
        Assert.True(store.GetBitfield().IsEmpty);
    }

    [Fact]
    public void Reopening_resumes_from_part_files()
    {
        var (metainfo, content) = MultiFileContent();
        using (var store = FilePieceStore.Open(metainfo, Downloads))
        {
            Assert.True(store.CreatedEmpty);
            WritePiece(store, content, 0);
            WritePiece(store, content, 3);
            WritePiece(store, new byte[content.Length], 1);
        }

        using var resumed = FilePieceStore.Open(metainfo, Downloads);
        Assert.False(resumed.CreatedEmpty);
        Assert.True(resumed.GetBitfield().IsEmpty);
        Assert.Equal(2, resumed.VerifyAll());
        Assert.Equal("1001", resumed.GetBitfield().ToString());
        WritePiece(resumed, content, 1);
        WritePiece(resumed, content, 2);
        Assert.True(resumed.VerifyPiece(1));
        Assert.True(resumed.VerifyPiece(2));
        Assert.True(resumed.IsComplete);
        Assert.Equal(content, resumed.FinalPaths.SelectMany(File.ReadAllBytes).ToArray());
    }

    [Fact]
    public void Trusted_complete_files_are_present_without_hashing()
    {
        var (metainfo, content) = MultiFileContent();
        var offset = 0;
        foreach (var file in metainfo.Files)
        {
            Temp.WriteFile("downloads/" + string.Join('/', file.StoragePath), content.AsSpan(offset, (int)file.Length));
            offset += (int)file.Length;
        }

        using var store = FilePieceStore.Open(metainfo, Downloads, new FilePieceStoreOptions { TrustCompleteFiles = true });
        Assert.True(store.IsComplete);
        using var untrusted = FilePieceStore.Open(metainfo, Downloads);
        Assert.False(untrusted.IsComplete);
    }

    [Fact]
    public void An_existing_file_of_another_size_is_not_overwritten()
    {
        var (metainfo, _) = MultiFileContent();
        var victim = Temp.WriteFile("downloads/content/dir/file0", "precious"u8);
        var error = Assert.Throws<IOException>(() => FilePieceStore.Open(metainfo, Downloads));
        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
        Assert.Equal("precious"u8.ToArray(), File.ReadAllBytes(victim));
    }

    [Fact]
    public void A_same_size_file_under_a_final_name_is_read_but_never_written()
    {
        var (metainfo, content) = MultiFileContent();
        var stranger = Temp.WriteFile("downloads/content/dir/file0", new byte[10_000]);
        using var store = FilePieceStore.Open(metainfo, Downloads);
        Assert.Equal(0, store.VerifyAll());
        var error = Assert.Throws<InvalidOperationException>(() => WritePiece(store, content, 0));
        Assert.Contains("never written", error.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[10_000], File.ReadAllBytes(stranger));

        // Pieces that do not touch it download normally.
        WritePiece(store, content, 2);
        Assert.True(store.VerifyPiece(2));
    }

    [Fact]
    public void A_failed_rename_leaves_the_store_serving_and_a_later_verify_finishes()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = FilePieceStore.Open(metainfo, Downloads);
        for (var piece = 0; piece < metainfo.PieceCount - 1; piece++)
        {
            WritePiece(store, content, piece);
            Assert.True(store.VerifyPiece(piece));
        }

        var last = metainfo.PieceCount - 1;
        WritePiece(store, content, last);
        var squatter = Temp.WriteFile("downloads/content/dir/file3", "squatter"u8);
        Assert.ThrowsAny<IOException>(() => store.VerifyPiece(last));
        Assert.Equal("squatter"u8.ToArray(), File.ReadAllBytes(squatter));
        var buffer = new byte[16];
        store.ReadBlock(0, 0, buffer);
        Assert.Equal(content.AsSpan(0, 16).ToArray(), buffer);

        File.Delete(squatter);
        Assert.Equal(metainfo.PieceCount, store.VerifyAll());
        Assert.True(store.IsComplete);
        Assert.Empty(Directory.EnumerateFiles(Downloads, "*.part", SearchOption.AllDirectories));
        Assert.Equal(content, store.FinalPaths.SelectMany(File.ReadAllBytes).ToArray());
    }

    [Fact]
    public void A_symbolic_link_in_the_download_directory_is_not_followed()
    {
        var (metainfo, _) = MultiFileContent();
        using var outside = new TempDirectory();
        Directory.CreateDirectory(Path.Join(Downloads, "content"));
        Directory.CreateSymbolicLink(Path.Join(Downloads, "content", "dir"), outside.Path);
        Assert.Throws<MetainfoFormatException>(() => FilePieceStore.Open(metainfo, Downloads));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
    }

    [Fact]
    public void A_part_file_that_is_a_link_is_not_followed()
    {
        var (metainfo, _) = MultiFileContent(100);
        using var outside = new TempDirectory();
        var target = outside.WriteFile("target", "keep"u8);
        Directory.CreateDirectory(Path.Join(Downloads, "content", "dir"));
        File.CreateSymbolicLink(Path.Join(Downloads, "content", "dir", "file0.part"), target);
        Assert.Throws<MetainfoFormatException>(() => FilePieceStore.Open(metainfo, Downloads));
        Assert.Equal("keep"u8.ToArray(), File.ReadAllBytes(target));
    }

    [Fact]
    public void Single_file_content_lives_directly_in_the_directory()
    {
        var content = TestData.Bytes(20_000);
        var metainfo = new MetainfoBuilder
        {
            Name = "one.bin",
            PieceLength = PieceLength,
            PieceHashes = PieceHasher.Hash(content, PieceLength).PieceHashes,
            Length = content.Length,
        }.Build();
        using var store = FilePieceStore.Open(metainfo, Downloads);
        Assert.True(File.Exists(Path.Join(Downloads, "one.bin.part")));
        WritePiece(store, content, 0);
        WritePiece(store, content, 1);
        Assert.Equal(2, store.VerifyAll());
        Assert.Equal(content, File.ReadAllBytes(Path.Join(Downloads, "one.bin")));
        Assert.Equal(["one.bin"], Directory.EnumerateFileSystemEntries(Downloads).Select(Path.GetFileName));
    }
}
