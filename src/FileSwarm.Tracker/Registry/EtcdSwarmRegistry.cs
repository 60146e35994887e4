using FileSwarm.Core;
using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;
using FileSwarm.Etcd;
using FileSwarm.Etcd.Protocol;
using Google.Protobuf;

namespace FileSwarm.Tracker.Registry;

/// <summary>
/// The registry in etcd (layout in <see cref="EtcdRegistryLayout"/>), so that several tracker processes serve the same
/// swarms: every read goes to etcd (linearizable), nothing is cached, and writes are single transactions, so what one
/// tracker records the next request to any tracker sees. Expiry is by last-seen time stamped from this registry's
/// <see cref="TimeProvider"/> (wall clock), exactly as in memory; <see cref="SweepAsync"/> deletes what expired
/// (any tracker may sweep). etcd failures surface as <see cref="EtcdException"/>.
/// </summary>
public sealed partial class EtcdSwarmRegistry : ISwarmRegistry
{
    private readonly EtcdClient _client;
    private readonly bool _ownsClient;
    private readonly SwarmRegistryOptions _options;
    private readonly TimeProvider _time;
    private readonly EtcdRegistryLayout _keys;

    /// <param name="client">The etcd client; disposed with the registry when <paramref name="ownsClient"/>.</param>
    /// <param name="prefix">Key prefix of this registry's state; trackers that share swarms use the same one.</param>
    public EtcdSwarmRegistry(EtcdClient client, SwarmRegistryOptions? options = null, TimeProvider? timeProvider = null, string prefix = EtcdRegistryLayout.DefaultPrefix, bool ownsClient = false)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _options = options ?? new SwarmRegistryOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _keys = new EtcdRegistryLayout(prefix);
        _ownsClient = ownsClient;
    }

    /// <summary>Where the state lives, for messages.</summary>
    public string Description => $"etcd at {_client.Description} under {_keys.Prefix}";

    private async ValueTask<RegisterResult> RegisterFileCoreAsync(TorrentMetainfo metainfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metainfo);
        var file = CatalogFile.From(metainfo);
        if (file.Torrent.Length > _client.Options.MaxRequestBytes - 4096)
        {
            throw new ArgumentException($"a handler of {file.Torrent.Length} bytes does not fit in one etcd request ({_client.Options.MaxRequestBytes} bytes)", nameof(metainfo));
        }

        var fileKey = EtcdKeys.Key(_keys.File(file.InfoHash));
        var txn = new TxnRequest
        {
            Compare = { NotCreated(fileKey) },
            Success =
            {
                Put(fileKey, ByteString.CopyFrom(file.Torrent.Span)),
                Put(EtcdKeys.Key(_keys.Name(file.Name, file.InfoHash)), ByteString.Empty),
            },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = fileKey } } },
        };
        if (file.ContentSha1 is { } sha1)
        {
            // First handler with this content wins the index entry, atomically with its own registration.
            var indexKey = EtcdKeys.Key(_keys.ContentSha1(sha1));
            txn.Success.Add(new RequestOp
            {
                RequestTxn = new TxnRequest { Compare = { NotCreated(indexKey) }, Success = { Put(indexKey, ByteString.CopyFromUtf8(file.InfoHash.ToString())) } },
            });
        }

        var response = await _client.TxnAsync(txn, cancellationToken);
        if (response.Succeeded)
        {
            return new RegisterResult(file, true);
        }

        var existing = response.Responses[0].ResponseRange.Kvs;
        return new RegisterResult(existing.Count > 0 ? Parse(existing[0].Value) : file, false);
    }

    private async ValueTask<CatalogFile?> FindFileCoreAsync(Sha1Hash hash, CancellationToken cancellationToken = default)
    {
        var response = await _client.TxnAsync(
            new TxnRequest
            {
                Success =
                {
                    new RequestOp { RequestRange = new RangeRequest { Key = EtcdKeys.Key(_keys.File(hash)) } },
                    new RequestOp { RequestRange = new RangeRequest { Key = EtcdKeys.Key(_keys.ContentSha1(hash)) } },
                },
            },
            cancellationToken);
        if (response.Responses[0].ResponseRange.Kvs is [var byInfoHash, ..])
        {
            return Parse(byInfoHash.Value);
        }

        if (response.Responses[1].ResponseRange.Kvs is [var index, ..] && Sha1Hash.TryParse(index.Value.ToStringUtf8(), out var infoHash))
        {
            var file = await _client.GetAsync(_keys.File(infoHash), cancellationToken);
            return file is null ? null : Parse(file.Value);
        }

        return null;
    }

    /// <remarks>
    /// Without a filter: one transaction (a page of the name index and its count) and one more for the handlers of the
    /// page. With a filter it scans the name index's keys (paged) to count the matches, like the memory registry.
    /// </remarks>
    private async ValueTask<FilePage> ListFilesCoreAsync(FileQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        var namesEnd = EtcdKeys.PrefixEnd(_keys.Names);
        var start = query.After is { } after
            ? ByteString.CopyFromUtf8(_keys.Name(after.Name, after.InfoHash) + "\0")
            : EtcdKeys.Key(_keys.Names);
        List<ByteString> page;
        long total;
        ByteString? next = null;
        if (string.IsNullOrEmpty(query.NameFilter))
        {
            var response = await _client.TxnAsync(
                new TxnRequest
                {
                    Success =
                    {
                        new RequestOp { RequestRange = new RangeRequest { Key = start, RangeEnd = namesEnd, Limit = query.Limit, KeysOnly = true } },
                        new RequestOp { RequestRange = new RangeRequest { Key = EtcdKeys.Key(_keys.Names), RangeEnd = namesEnd, CountOnly = true } },
                    },
                },
                cancellationToken);
            var range = response.Responses[0].ResponseRange;
            page = range.Kvs.Select(kv => kv.Key).ToList();
            total = response.Responses[1].ResponseRange.Count;
            next = range.More && page.Count > 0 ? page[^1] : null;
        }
        else
        {
            page = [];
            total = 0;
            var startText = start.ToStringUtf8();
            foreach (var kv in (await _client.GetPrefixAsync(_keys.Names, cancellationToken)).Kvs)
            {
                if (!_keys.NameOf(kv.Key).Contains(query.NameFilter, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                total++;
                if (string.CompareOrdinal(kv.Key.ToStringUtf8(), startText) < 0)
                {
                    continue;
                }

                if (page.Count < query.Limit)
                {
                    page.Add(kv.Key);
                }
                else
                {
                    next ??= page[^1];
                }
            }
        }

        var files = await LoadFilesAsync(page.Select(EtcdRegistryLayout.InfoHashOfName), cancellationToken);
        var cursor = next is null ? null : new FileCursor(_keys.NameOf(next), EtcdRegistryLayout.InfoHashOfName(next));
        return new FilePage(files, total, cursor);
    }

    private async ValueTask<RegistryStats> GetStatsCoreAsync(CancellationToken cancellationToken = default)
    {
        var files = await _client.CountPrefixAsync(_keys.Files, cancellationToken);
        var response = await _client.RangeAsync(new RangeRequest { Key = EtcdKeys.Key(_keys.Swarms), RangeEnd = EtcdKeys.PrefixEnd(_keys.Swarms), KeysOnly = true }, cancellationToken);
        var swarms = response.Kvs.Select(kv => _keys.SwarmOf(kv.Key)).Where(h => h is not null).Distinct().Count();
        return new RegistryStats(files, swarms, response.Count);
    }

    public ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private async Task<List<CatalogFile>> LoadFilesAsync(IEnumerable<Sha1Hash> infoHashes, CancellationToken cancellationToken)
    {
        var files = new List<CatalogFile>();
        foreach (var chunk in infoHashes.Chunk(_client.Options.MaxTxnOps))
        {
            var txn = new TxnRequest();
            foreach (var infoHash in chunk)
            {
                txn.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = EtcdKeys.Key(_keys.File(infoHash)) } });
            }

            var response = await _client.TxnAsync(txn, cancellationToken);
            files.AddRange(response.Responses.SelectMany(r => r.ResponseRange.Kvs).Select(kv => Parse(kv.Value)));
        }

        return files;
    }

    private static CatalogFile Parse(ByteString torrent)
    {
        try
        {
            return CatalogFile.From(TorrentMetainfo.Parse(torrent.Memory));
        }
        catch (Exception e) when (e is BencodeFormatException or MetainfoFormatException)
        {
            throw new EtcdException(Rpc.StatusCode.DataLoss, $"a handler stored in etcd does not parse: {e.Message}", e);
        }
    }

    private static Compare NotCreated(ByteString key) =>
        new() { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 };

    private static RequestOp Put(ByteString key, ByteString value) => new() { RequestPut = new PutRequest { Key = key, Value = value } };
}
