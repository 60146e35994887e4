using System.Text;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Tracker.Tests.Infrastructure;
using Google.Protobuf;

namespace FileSwarm.Tracker.Tests.Service;

/// <summary>RegisterFile, GetFile and ListFiles over a real server and client.</summary>
public sealed class CatalogRpcTests : TrackerServiceTestBase
{
    [Fact]
    public async Task A_registered_file_is_found_by_info_hash_and_content_sha1_in_either_case()
    {
        var metainfo = TestTorrents.Create("report.pdf", pieces: 12);

        var registered = await Client.RegisterFileAsync(new RegisterFileRequest { Torrent = ByteString.CopyFrom(metainfo.ToBytes()) });
        var again = await Client.RegisterFileAsync(new RegisterFileRequest { Torrent = ByteString.CopyFrom(metainfo.ToBytes()) });

        Assert.True(registered.Created);
        Assert.False(again.Created);
        Assert.Equal("report.pdf", registered.File.Name);
        Assert.Equal(12, registered.File.Pieces);
        Assert.Equal(metainfo.PieceLength, registered.File.PieceLength);
        Assert.Equal(metainfo.TotalLength, registered.File.Length);
        Assert.Equal(metainfo.InfoHash.ToString(), registered.File.Hash);
        Assert.Equal(metainfo.ContentSha1.ToString(), registered.File.Sha1);
        foreach (var hash in new[] { metainfo.InfoHash.ToString(), metainfo.InfoHash.ToString().ToUpperInvariant(), metainfo.ContentSha1!.Value.ToString().ToUpperInvariant() })
        {
            var found = await Client.GetFileAsync(new GetFileRequest { Hash = hash });
            Assert.Equal(registered.File, found.File);
            Assert.Equal(metainfo.ToBytes(), found.Torrent.ToByteArray());
        }
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("not bencode at all", "bencode")]
    [InlineData("d3:fooi1ee", "handler")]
    [InlineData("d4:infod4:name3:abcee", "handler")]
    [InlineData("i42e", "handler")]
    public async Task A_torrent_that_does_not_parse_is_refused_with_a_clear_message_and_changes_nothing(string torrent, string mentions)
    {
        var error = await FailsWithAsync(StatusCode.InvalidArgument, () =>
            Client.RegisterFileAsync(new RegisterFileRequest { Torrent = ByteString.CopyFrom(Encoding.ASCII.GetBytes(torrent)) }));

        Assert.Contains(mentions, error.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, (await Client.ListFilesAsync(new ListFilesRequest())).TotalCount);
    }

    [Fact]
    public async Task A_torrent_larger_than_the_limit_is_refused()
    {
        var huge = TestTorrents.Create("huge.bin", pieces: (Options.MaxTorrentBytes / 20) + 10);

        var error = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync(huge));

        // Over the service's receive limit the transport refuses it; just under, the handler does.
        Assert.Contains(error.StatusCode, new[] { StatusCode.InvalidArgument, StatusCode.ResourceExhausted });
        var justOver = TestTorrents.Create("just-over.bin", pieces: (Options.MaxTorrentBytes / 20) - 2);
        Assert.True(justOver.ToBytes().Length > Options.MaxTorrentBytes, "the test torrent is not over the limit");
        var handlerError = await FailsWithAsync(StatusCode.InvalidArgument, () => RegisterAsync(justOver));
        Assert.Contains("limit", handlerError.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, (await Client.ListFilesAsync(new ListFilesRequest())).TotalCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("0123456789abcdef0123456789abcdef012345678")]
    [InlineData("0123456789abcdef0123456789abcdef01234567890")]
    [InlineData("0123456789abcdef0123456789abcdef0123456g")]
    [InlineData(" 0123456789abcdef0123456789abcdef0123456")]
    public async Task A_malformed_hash_is_an_invalid_argument(string hash)
    {
        var error = await FailsWithAsync(StatusCode.InvalidArgument, () => Client.GetFileAsync(new GetFileRequest { Hash = hash }));

        Assert.Contains("40 hex", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_hash_is_not_found()
    {
        await RegisterAsync(TestTorrents.Create("known.bin"));

        var error = await FailsWithAsync(StatusCode.NotFound, () => Client.GetFileAsync(new GetFileRequest { Hash = new string('a', 40) }));

        Assert.Contains(new string('a', 40), error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_pages_with_tokens_and_a_name_filter()
    {
        var names = new[] { "Alpha.iso", "beta.iso", "ALPHABET.txt", "gamma.iso", "alphanumeric.bin" };
        foreach (var name in names)
        {
            await RegisterAsync(TestTorrents.Create(name));
        }

        var all = await Client.ListFilesAsync(new ListFilesRequest());
        var first = await Client.ListFilesAsync(new ListFilesRequest { PageSize = 2, NameFilter = "alpha" });
        var second = await Client.ListFilesAsync(new ListFilesRequest { PageSize = 2, NameFilter = "alpha", PageToken = first.NextPageToken });

        Assert.Equal(5, all.TotalCount);
        Assert.Equal(5, all.Files.Count);
        Assert.Empty(all.NextPageToken);
        Assert.Equal(["ALPHABET.txt", "Alpha.iso"], first.Files.Select(f => f.Name).ToList());
        Assert.Equal(3, first.TotalCount);
        Assert.NotEmpty(first.NextPageToken);
        Assert.Equal(["alphanumeric.bin"], second.Files.Select(f => f.Name).ToList());
        Assert.Equal(3, second.TotalCount);
        Assert.Empty(second.NextPageToken);
    }

    [Fact]
    public async Task The_page_size_defaults_to_100_and_is_capped_at_1000()
    {
        for (var i = 0; i < 105; i++)
        {
            await RegisterAsync(TestTorrents.Create($"many-{i:D3}", pieces: 1));
        }

        var byDefault = await Client.ListFilesAsync(new ListFilesRequest());
        var capped = await Client.ListFilesAsync(new ListFilesRequest { PageSize = int.MaxValue });

        Assert.Equal(100, byDefault.Files.Count);
        Assert.NotEmpty(byDefault.NextPageToken);
        Assert.Equal(105, capped.Files.Count);
        Assert.Equal(105, capped.TotalCount);
    }

    [Theory]
    [InlineData("garbage!")]
    [InlineData("AAAA")]
    [InlineData("AQ")]
    [InlineData("Ag")]
    public async Task A_page_token_that_was_not_issued_is_an_invalid_argument(string token)
    {
        await RegisterAsync(TestTorrents.Create("one.bin"));

        var error = await FailsWithAsync(StatusCode.InvalidArgument, () => Client.ListFilesAsync(new ListFilesRequest { PageToken = token }));

        Assert.Contains("page_token", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_negative_page_size_or_an_oversized_filter_is_an_invalid_argument()
    {
        await FailsWithAsync(StatusCode.InvalidArgument, () => Client.ListFilesAsync(new ListFilesRequest { PageSize = -1 }));
        await FailsWithAsync(StatusCode.InvalidArgument, () => Client.ListFilesAsync(new ListFilesRequest { NameFilter = new string('x', 2000) }));
    }
}
