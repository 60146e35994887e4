using System.Security.Cryptography;
using System.Text;
using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;
using FileSwarm.Core.Tests.Infrastructure;

namespace FileSwarm.Core.Tests.Metainfo;

public class MetainfoTests
{
    private static TorrentMetainfo SingleFile(byte[] content, int pieceLength = 16384)
    {
        var hashes = PieceHasher.Hash(content, pieceLength);
        return new MetainfoBuilder
        {
            Name = "file.bin",
            PieceLength = pieceLength,
            PieceHashes = hashes.PieceHashes,
            Length = content.Length,
            ContentSha1 = hashes.ContentSha1,
            Announce = "http://127.0.0.1:6969/announce",
        }.Build();
    }

    [Fact]
    public void Single_file_handler_describes_its_pieces()
    {
        var content = TestData.Bytes(40000);
        var metainfo = SingleFile(content);
        Assert.False(metainfo.IsMultiFile);
        Assert.Equal("file.bin", metainfo.Name);
        Assert.Equal(40000, metainfo.TotalLength);
        Assert.Equal(3, metainfo.PieceCount);
        Assert.Equal(16384, metainfo.GetPieceSize(0));
        Assert.Equal(40000 - 32768, metainfo.GetPieceSize(2));
        Assert.Equal(32768, metainfo.GetPieceOffset(2));
        Assert.Equal(SHA1.HashData(content.AsSpan(16384, 16384)), metainfo.GetPieceHash(1).ToArray());
        Assert.True(metainfo.VerifyPiece(2, content.AsSpan(32768)));
        Assert.False(metainfo.VerifyPiece(2, content.AsSpan(32767)));
        Assert.Equal(Sha1Hash.Compute(content), metainfo.ContentSha1);
        Assert.Equal("http://127.0.0.1:6969/announce", metainfo.Announce);
        var file = Assert.Single(metainfo.Files);
        Assert.Equal(["file.bin"], file.StoragePath);
        Assert.Equal((0, 3), metainfo.GetPieceRange(file));
        Assert.Throws<ArgumentOutOfRangeException>(() => metainfo.GetPieceSize(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => metainfo.GetPieceHash(-1));
    }

    [Fact]
    public void Info_hash_is_the_sha1_of_the_original_info_bytes()
    {
        var metainfo = SingleFile(TestData.Bytes(100));
        var root = (BDictionary)Bencode.Parse(metainfo.ToBytes());
        Assert.True(root.TryGetValue("info"u8, out var info));
        Assert.Equal(Sha1Hash.Compute(info.RawBytes.Span), metainfo.InfoHash);
        Assert.Equal(40, metainfo.InfoHash.ToString().Length);
        Assert.Equal(metainfo.InfoHash.ToString().ToLowerInvariant(), metainfo.InfoHash.ToString());

        // An unknown key inside info (here one that sorts first) is part of the identity, exactly as written.
        var text = Encoding.Latin1.GetString(metainfo.ToBytes());
        var withExtra = Encoding.Latin1.GetBytes(text.Replace("4:infod", "4:infod5:aaaaa1:x", StringComparison.Ordinal));
        var extra = TorrentMetainfo.Parse(withExtra);
        Assert.NotEqual(metainfo.InfoHash, extra.InfoHash);
        var extraRoot = (BDictionary)Bencode.Parse(withExtra);
        extraRoot.TryGetValue("info"u8, out var extraInfo);
        Assert.Equal(Sha1Hash.Compute(extraInfo.RawBytes.Span), extra.InfoHash);
        Assert.Equal(withExtra, extra.ToBytes());
    }

    [Fact]
    public void Multi_file_handler_lays_files_end_to_end()
    {
        var metainfo = new MetainfoBuilder
        {
            Name = "album",
            PieceLength = 16384,
            PieceHashes = new byte[2 * 20],
            Files =
            [
                new MetainfoFileEntry(["cd1", "01.flac"], 20000),
                new MetainfoFileEntry(["empty"], 0),
                new MetainfoFileEntry(["cover.jpg"], 12000),
            ],
        }.Build();
        Assert.True(metainfo.IsMultiFile);
        Assert.Equal(32000, metainfo.TotalLength);
        Assert.Equal(["album", "cd1", "01.flac"], metainfo.Files[0].StoragePath);
        Assert.Equal("cd1/01.flac", metainfo.Files[0].DisplayPath);
        Assert.Equal(20000, metainfo.Files[2].Offset);
        Assert.Equal((0, 2), metainfo.GetPieceRange(metainfo.Files[0]));
        Assert.Equal(0, metainfo.GetPieceRange(metainfo.Files[1]).Count);
        Assert.Equal((1, 1), metainfo.GetPieceRange(metainfo.Files[2]));
        Assert.Null(metainfo.ContentSha1);
    }

    [Fact]
    public void Empty_content_has_no_pieces()
    {
        var metainfo = SingleFile([]);
        Assert.Equal(0, metainfo.PieceCount);
        Assert.Equal(0, metainfo.TotalLength);
        Assert.Equal(Sha1Hash.Compute([]), metainfo.ContentSha1);
    }

    [Theory]
    [InlineData("d4:infod6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces19:0123456789012345678ee", "info.pieces", "multiple of 20")]
    [InlineData("d4:infod6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.pieces", "need 1")]
    [InlineData("d4:infod6:lengthi0e4:name1:a12:piece lengthi16384e6:pieces20:01234567890123456789ee", "info.pieces", "need 0")]
    [InlineData("d4:infod6:lengthi1e4:name1:a12:piece lengthi0e6:pieces0:ee", "info.piece length", "out of range")]
    [InlineData("d4:infod6:lengthi1e4:name1:a12:piece lengthi-16384e6:pieces0:ee", "info.piece length", "out of range")]
    [InlineData("d4:infod6:lengthi1e4:name1:a12:piece lengthi1099511627776e6:pieces0:ee", "info.piece length", "out of range")]
    [InlineData("d4:infod6:lengthi-1e4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.length", "out of range")]
    [InlineData("d4:infod4:name1:a12:piece lengthi16384e6:pieces0:ee", "info", "neither")]
    [InlineData("d4:infod5:filesle6:lengthi0e4:name1:a12:piece lengthi16384e6:pieces0:ee", "info", "both")]
    [InlineData("d4:infod5:filesle4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files", "is empty")]
    [InlineData("d4:infod5:filesld6:lengthi0e4:pathleee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[0].path", "is empty")]
    [InlineData("d4:infod5:filesld6:lengthi0e4:pathl2:..eee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[0].path[0]", "parent directory")]
    [InlineData("d4:infod5:filesld6:lengthi0e4:pathl1:x3:a/beee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[0].path[1]", "contains '/'")]
    [InlineData("d4:infod5:filesld6:lengthi0e4:pathl3:a\\beee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[0].path[0]", "contains '\\'")]
    [InlineData("d4:infod5:filesld6:lengthi0e4:pathl1:.eee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[0].path[0]", "current directory")]
    [InlineData("d4:infod5:filesld6:lengthi0e4:pathl0:eee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[0].path[0]", "is empty")]
    [InlineData("d4:infod5:filesld6:lengthi0e4:pathl4:C:x1eee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[0].path[0]", "drive prefix")]
    [InlineData("d4:infod5:filesld6:lengthi0e4:pathli1eeee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[0].path[0]", "must be a string")]
    [InlineData("d4:infod5:filesld6:lengthi0e4:pathl1:xeed6:lengthi0e4:pathl1:xeee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[1].path", "more than once")]
    [InlineData("d4:infod5:filesld6:lengthi0e4:pathl1:xeed6:lengthi0e4:pathl1:x1:yeee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[1].path", "both a file and a directory")]
    [InlineData("d4:infod5:filesli1ee4:name1:a12:piece lengthi16384e6:pieces0:ee", "info.files[0]", "must be a dictionary")]
    [InlineData("d4:infod6:lengthi1e4:name2:..12:piece lengthi16384e6:pieces0:ee", "info.name", "parent directory")]
    [InlineData("d4:infod6:lengthi1e4:name4:/etc12:piece lengthi16384e6:pieces0:ee", "info.name", "contains '/'")]
    [InlineData("d4:infod6:lengthi1e4:name0:12:piece lengthi16384e6:pieces0:ee", "info.name", "is empty")]
    [InlineData("d4:infod6:lengthi1e12:piece lengthi16384e6:pieces0:ee", "info.name", "is missing")]
    [InlineData("d4:infoi1ee", "info", "must be a dictionary")]
    [InlineData("le", "", "top-level value must be a dictionary")]
    [InlineData("d4:infod6:lengthi0e4:name1:a12:piece lengthi16384e6:pieces0:e4:sha13:abce", "sha1", "20-byte")]
    public void Rejects_bad_metainfo_naming_the_entry(string torrent, string field, string reason)
    {
        var error = Assert.Throws<MetainfoFormatException>(() => TorrentMetainfo.Parse(Encoding.Latin1.GetBytes(torrent)));
        Assert.Equal(field, error.Field);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\0b", "NUL")]
    [InlineData("a\nb", "control character U+000A")]
    [InlineData("a\u007fb", "control character U+007F")]
    public void Rejects_control_characters_in_names_on_one_line(string name, string reason)
    {
        var error = Assert.Throws<MetainfoFormatException>(() => new MetainfoBuilder
        {
            Name = name,
            PieceLength = 16384,
            PieceHashes = Array.Empty<byte>(),
            Length = 0,
        }.Build());
        Assert.Equal("info.name", error.Field);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Rejects_names_that_are_not_utf8()
    {
        var torrent = Encoding.Latin1.GetBytes("d4:infod6:lengthi0e4:name2:\u00ff\u00fe12:piece lengthi16384e6:pieces0:ee");
        var error = Assert.Throws<MetainfoFormatException>(() => TorrentMetainfo.Parse(torrent));
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_too_many_pieces()
    {
        var total = ((long)PieceLengths.MaxPieceCount + 1) * 1024;
        var torrent = Encoding.ASCII.GetBytes($"d4:infod6:lengthi{total}e4:name1:a12:piece lengthi1024e6:pieces0:ee");
        var error = Assert.Throws<MetainfoFormatException>(() => TorrentMetainfo.Parse(torrent));
        Assert.Contains("more than the limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Content_sha1_may_be_raw_or_hex_and_identifies_the_handler()
    {
        var content = TestData.Bytes(10);
        var sha1 = Sha1Hash.Compute(content);
        var hex = $"d4:infod6:lengthi10e4:name1:a12:piece lengthi16384e6:pieces20:{Encoding.Latin1.GetString(SHA1.HashData(content))}e4:sha140:{sha1.ToString().ToUpperInvariant()}e";
        var metainfo = TorrentMetainfo.Parse(Encoding.Latin1.GetBytes(hex));
        Assert.Equal(sha1, metainfo.ContentSha1);
        Assert.True(metainfo.IsIdentifiedBy(sha1));
        Assert.True(metainfo.IsIdentifiedBy(metainfo.InfoHash));
        Assert.False(metainfo.IsIdentifiedBy(Sha1Hash.Compute([1])));
    }

    [Fact]
    public void Descriptive_fields_are_read_and_ignored_when_mistyped()
    {
        var torrent = "d8:announce3:url13:announce-listll1:a1:bei5ee7:comment2:hi10:created by2:me13:creation datei1700000000e4:infod6:lengthi0e4:name1:a12:piece lengthi16384e6:pieces0:7:privatei1eee";
        var metainfo = TorrentMetainfo.Parse(Encoding.ASCII.GetBytes(torrent));
        Assert.Equal("url", metainfo.Announce);
        Assert.Equal(["a", "b"], Assert.Single(metainfo.AnnounceList));
        Assert.Equal("hi", metainfo.Comment);
        Assert.Equal("me", metainfo.CreatedBy);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), metainfo.CreationDate);
        Assert.True(metainfo.IsPrivate);

        var mistyped = TorrentMetainfo.Parse(Encoding.ASCII.GetBytes("d8:announcei1e7:commentle4:infod6:lengthi0e4:name1:a12:piece lengthi16384e6:pieces0:ee"));
        Assert.Null(mistyped.Announce);
        Assert.Null(mistyped.Comment);
    }

    [Fact]
    public void Load_reads_a_file_and_bad_bytes_raise_bencode_errors()
    {
        using var dir = new TempDirectory();
        var metainfo = SingleFile(TestData.Bytes(5000));
        var path = dir.WriteFile("x.torrent", metainfo.ToBytes());
        Assert.Equal(metainfo.InfoHash, TorrentMetainfo.Load(path).InfoHash);
        var bad = dir.WriteFile("bad.torrent", "d4:infoi01ee"u8);
        var error = Assert.Throws<BencodeFormatException>(() => TorrentMetainfo.Load(bad));
        Assert.Equal(8, error.Offset);
    }

    [Fact]
    public void Sha1_hash_text_is_lowercase_and_parsing_accepts_either_case()
    {
        var hash = Sha1Hash.Compute("abc"u8);
        Assert.Equal("a9993e364706816aba3e25717850c26c9cd0d89d", hash.ToString());
        Assert.Equal(hash, Sha1Hash.Parse("A9993E364706816ABA3E25717850C26C9CD0D89D"));
        Assert.False(Sha1Hash.TryParse("a9993e364706816aba3e25717850c26c9cd0d89", out _));
        Assert.False(Sha1Hash.TryParse("g9993e364706816aba3e25717850c26c9cd0d89d", out _));
        Assert.Throws<FormatException>(() => Sha1Hash.Parse("nope"));
        Assert.Equal($"{hash}", hash.ToString());
    }
}
