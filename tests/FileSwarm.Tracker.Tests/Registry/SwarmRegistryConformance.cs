using FileSwarm.Core;
using FileSwarm.Tracker.Registry;
using FileSwarm.Tracker.Tests.Infrastructure;

namespace FileSwarm.Tracker.Tests.Registry;

/// <summary>
/// What every <see cref="ISwarmRegistry"/> must do, in memory or in etcd. A back end subclasses this and builds a
/// fresh, empty registry per test (xunit makes one instance per test) on the injected clock. The tests use nothing
/// but the interface and the clock.
/// </summary>
public abstract partial class SwarmRegistryConformance : IAsyncLifetime
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);

    private ISwarmRegistry? _registry;

    protected FakeTimeProvider Clock { get; } = new();

    protected ISwarmRegistry Registry => _registry ?? throw new InvalidOperationException("not initialised");

    protected static SwarmRegistryOptions DefaultOptions { get; } = new() { PeerTtl = Ttl, AnnounceScanLimit = 1000, MaxPeersPerSwarm = 10_000 };

    /// <summary>A new, empty registry with these options, on this clock; disposed by the test.</summary>
    protected abstract Task<ISwarmRegistry> CreateRegistryAsync(SwarmRegistryOptions options, TimeProvider clock);

    public async Task InitializeAsync() => _registry = await CreateRegistryAsync(DefaultOptions, Clock);

    public async Task DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }
    }

    [Fact]
    public async Task Registration_is_idempotent_by_info_hash()
    {
        var metainfo = TestTorrents.Create("idempotent.bin");

        var first = await Registry.RegisterFileAsync(metainfo);
        var second = await Registry.RegisterFileAsync(metainfo);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(metainfo.InfoHash, second.File.InfoHash);
        Assert.Equal(1, (await Registry.GetStatsAsync()).Files);
        Assert.Equal(1, (await Registry.ListFilesAsync(new FileQuery(10))).TotalCount);
    }

    [Fact]
    public async Task Registration_keeps_the_handler_fields_and_torrent_bytes()
    {
        var metainfo = TestTorrents.Create("fields.iso", pieces: 37);

        var file = (await Registry.RegisterFileAsync(metainfo)).File;
        var found = await Registry.FindFileAsync(metainfo.InfoHash);

        Assert.NotNull(found);
        foreach (var entry in new[] { file, found })
        {
            Assert.Equal("fields.iso", entry.Name);
            Assert.Equal(metainfo.PieceLength, entry.PieceLength);
            Assert.Equal(37, entry.PieceCount);
            Assert.Equal(metainfo.TotalLength, entry.Length);
            Assert.Equal(metainfo.ContentSha1, entry.ContentSha1);
            Assert.Equal(metainfo.ToBytes(), entry.Torrent.ToArray());
        }
    }

    [Fact]
    public async Task A_file_is_found_by_info_hash_and_by_content_sha1_and_nothing_else()
    {
        var metainfo = TestTorrents.Create("both-hashes.txt");
        var other = TestTorrents.Create("without-sha1.txt", withSha1: false);
        await Registry.RegisterFileAsync(metainfo);
        await Registry.RegisterFileAsync(other);

        Assert.Equal(metainfo.InfoHash, (await Registry.FindFileAsync(metainfo.InfoHash))?.InfoHash);
        Assert.Equal(metainfo.InfoHash, (await Registry.FindFileAsync(metainfo.ContentSha1!.Value))?.InfoHash);
        Assert.Equal(other.InfoHash, (await Registry.FindFileAsync(other.InfoHash))?.InfoHash);
        Assert.Null((await Registry.FindFileAsync(other.InfoHash))?.ContentSha1);
        Assert.Null(await Registry.FindFileAsync(Sha1Hash.Compute("unknown"u8)));
    }

    [Fact]
    public async Task A_content_sha1_shared_by_two_handlers_finds_the_first_registered()
    {
        var content = Sha1Hash.Compute("same content, two piece lengths"u8);
        var first = TestTorrents.Create("first.bin", contentSha1: content);
        var second = TestTorrents.Create("second.bin", contentSha1: content);
        await Registry.RegisterFileAsync(first);
        await Registry.RegisterFileAsync(second);

        Assert.Equal(first.InfoHash, (await Registry.FindFileAsync(content))?.InfoHash);
        Assert.Equal(second.InfoHash, (await Registry.FindFileAsync(second.InfoHash))?.InfoHash);
    }

    [Fact]
    public async Task Listing_pages_through_every_file_once_in_catalog_order()
    {
        var names = Enumerable.Range(0, 23).Select(i => $"{(char)('a' + (i * 7 % 26))}-{i}.dat").Concat(["Zeta.dat", "zeta.dat", "élan.dat", "同.dat", "😀.dat", "a-0.dat"]).ToList();
        var registered = new List<CatalogFile>();
        foreach (var name in names)
        {
            registered.Add((await Registry.RegisterFileAsync(TestTorrents.Create(name))).File);
        }

        var listed = await ListAllAsync(pageSize: 4, filter: null);

        var expected = registered
            .Order(Comparer<CatalogFile>.Create((a, b) => CatalogOrder.Compare(a.Name, a.InfoHash, b.Name, b.InfoHash)))
            .Select(f => f.InfoHash)
            .ToList();
        Assert.Equal(expected, listed.Files.Select(f => f.InfoHash).ToList());
        Assert.All(listed.Totals, total => Assert.Equal(names.Count, total));
        Assert.Equal((names.Count + 3) / 4, listed.Pages);
        // Code point order: upper case before lower case, and a character outside the BMP after every BMP one.
        Assert.True(listed.Files.FindIndex(f => f.Name == "Zeta.dat") < listed.Files.FindIndex(f => f.Name == "a-0.dat"));
        Assert.Equal("😀.dat", listed.Files[^1].Name);
    }

    [Fact]
    public async Task Listing_filters_by_name_case_insensitively_across_pages()
    {
        foreach (var name in new[] { "Movie-1.mkv", "movie-2.mkv", "notes.txt", "MOVIE-3.mkv", "a movie.mkv", "mov.ie", "readme" })
        {
            await Registry.RegisterFileAsync(TestTorrents.Create(name));
        }

        var listed = await ListAllAsync(pageSize: 2, filter: "mOvIe");

        Assert.Equal(["MOVIE-3.mkv", "Movie-1.mkv", "a movie.mkv", "movie-2.mkv"], listed.Files.Select(f => f.Name).ToList());
        Assert.All(listed.Totals, total => Assert.Equal(4, total));
        Assert.Equal(2, listed.Pages);

        var none = await Registry.ListFilesAsync(new FileQuery(10, "no such name"));
        Assert.Empty(none.Files);
        Assert.Equal(0, none.TotalCount);
        Assert.Null(none.Next);
    }

    [Fact]
    public async Task A_listing_continues_after_a_cursor_even_when_no_file_sits_at_it()
    {
        foreach (var name in new[] { "b", "d", "f" })
        {
            await Registry.RegisterFileAsync(TestTorrents.Create(name));
        }

        var page = await Registry.ListFilesAsync(new FileQuery(10, After: new FileCursor("c", default)));

        Assert.Equal(["d", "f"], page.Files.Select(f => f.Name).ToList());
        Assert.Equal(3, page.TotalCount);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task A_page_that_ends_at_the_last_file_has_no_next_cursor()
    {
        for (var i = 0; i < 4; i++)
        {
            await Registry.RegisterFileAsync(TestTorrents.Create($"file-{i}"));
        }

        var first = await Registry.ListFilesAsync(new FileQuery(2));
        var second = await Registry.ListFilesAsync(new FileQuery(2, After: first.Next));
        var filtered = await Registry.ListFilesAsync(new FileQuery(2, "FILE-", After: first.Next));

        Assert.NotNull(first.Next);
        Assert.Equal(2, second.Files.Count);
        Assert.Null(second.Next);
        Assert.Equal(2, filtered.Files.Count);
        Assert.Null(filtered.Next);
    }

    private async Task<(List<CatalogFile> Files, List<long> Totals, int Pages)> ListAllAsync(int pageSize, string? filter)
    {
        var files = new List<CatalogFile>();
        var totals = new List<long>();
        FileCursor? cursor = null;
        var pages = 0;
        do
        {
            var page = await Registry.ListFilesAsync(new FileQuery(pageSize, filter, cursor));
            Assert.True(page.Files.Count <= pageSize);
            files.AddRange(page.Files);
            totals.Add(page.TotalCount);
            cursor = page.Next;
            pages++;
            Assert.True(pages < 1000, "the listing does not end");
        }
        while (cursor is not null);

        return (files, totals, pages);
    }
}
