using FileSwarm.Etcd.Internal;
using FileSwarm.Etcd.Protocol;
using Google.Protobuf;

namespace FileSwarm.Etcd;

/// <summary>The KV service: ranges (with paged prefix listings), puts, deletes, transactions, batched writes.</summary>
public sealed partial class EtcdClient
{
    /// <summary>Room left in a batched transaction for its own framing, under <see cref="EtcdClientOptions.MaxRequestBytes"/>.</summary>
    private const int TxnOverheadBytes = 1024;

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Range, EtcdOperation.Range, request, cancellationToken);

    /// <summary>One key's entry, or null when it does not exist.</summary>
    public async Task<KeyValue?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var response = await RangeAsync(new RangeRequest { Key = EtcdKeys.Key(key) }, cancellationToken);
        return response.Kvs.Count > 0 ? response.Kvs[0] : null;
    }

    /// <summary>
    /// Every key under <paramref name="prefix"/>, in key order, as of one revision (returned with them), read in pages
    /// of <see cref="EtcdClientOptions.RangePageSize"/> so that no response grows with the prefix.
    /// </summary>
    public async Task<(IReadOnlyList<KeyValue> Kvs, long Revision)> GetPrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var key = EtcdKeys.Key(prefix);
        var end = EtcdKeys.PrefixEnd(key);
        var result = new List<KeyValue>();
        long revision = 0;
        while (true)
        {
            var response = await RangeAsync(new RangeRequest { Key = key, RangeEnd = end, Limit = Options.RangePageSize, Revision = revision }, cancellationToken);
            if (revision == 0)
            {
                revision = response.Header.Revision;
            }

            result.AddRange(response.Kvs);
            if (!response.More || response.Kvs.Count == 0)
            {
                return (result, revision);
            }

            // The next page starts just after the last key: the key with a zero byte appended.
            var last = response.Kvs[^1].Key;
            var next = new byte[last.Length + 1];
            last.CopyTo(next, 0);
            key = ByteString.CopyFrom(next);
        }
    }

    /// <summary>Counts the keys under <paramref name="prefix"/> without reading them.</summary>
    public async Task<long> CountPrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var response = await RangeAsync(new RangeRequest { Key = EtcdKeys.Key(prefix), RangeEnd = EtcdKeys.PrefixEnd(prefix), CountOnly = true }, cancellationToken);
        return response.Count;
    }

    /// <summary>Writes one key, attached to <paramref name="lease"/> when not 0; returns the revision it was written at.</summary>
    public async Task<long> PutAsync(string key, ByteString value, long lease = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var response = await CallAsync(EtcdMethods.Put, EtcdOperation.Put, new PutRequest { Key = EtcdKeys.Key(key), Value = value, Lease = lease }, cancellationToken);
        return response.Header.Revision;
    }

    public Task<long> PutAsync(string key, string value, long lease = 0, CancellationToken cancellationToken = default) =>
        PutAsync(key, ByteString.CopyFromUtf8(value), lease, cancellationToken);

    /// <summary>Deletes one key; returns how many were deleted (0 or 1).</summary>
    public async Task<long> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(EtcdMethods.DeleteRange, EtcdOperation.DeleteRange, new DeleteRangeRequest { Key = EtcdKeys.Key(key) }, cancellationToken);
        return response.Deleted;
    }

    /// <summary>Deletes every key under <paramref name="prefix"/>; returns how many.</summary>
    public async Task<long> DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var request = new DeleteRangeRequest { Key = EtcdKeys.Key(prefix), RangeEnd = EtcdKeys.PrefixEnd(prefix) };
        var response = await CallAsync(EtcdMethods.DeleteRange, EtcdOperation.DeleteRange, request, cancellationToken);
        return response.Deleted;
    }

    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(EtcdMethods.Txn, EtcdOperation.Txn, request, cancellationToken);

    /// <summary>Compacts the key history up to <paramref name="revision"/> (watches behind it are cancelled).</summary>
    public async Task CompactAsync(long revision, CancellationToken cancellationToken = default) =>
        await CallAsync(EtcdMethods.Compact, EtcdOperation.Compact, new CompactionRequest { Revision = revision }, cancellationToken);

    /// <summary>
    /// Writes many keys (all under <paramref name="lease"/> when not 0) in as few transactions as etcd accepts: each under
    /// <see cref="EtcdClientOptions.MaxRequestBytes"/> and <see cref="EtcdClientOptions.MaxTxnOps"/>. Returns the number of
    /// transactions. Not atomic as a whole when it takes more than one.
    /// </summary>
    public Task<int> PutManyAsync(IEnumerable<KeyValuePair<string, ByteString>> entries, long lease = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return ApplyBatchedAsync(entries.Select(e => new RequestOp { RequestPut = new PutRequest { Key = EtcdKeys.Key(e.Key), Value = e.Value, Lease = lease } }), cancellationToken);
    }

    /// <summary>Applies operations (puts, deletes) in transactions cut under etcd's limits; returns how many transactions.</summary>
    public async Task<int> ApplyBatchedAsync(IEnumerable<RequestOp> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var budget = Options.MaxRequestBytes - TxnOverheadBytes;
        var transactions = 0;
        var txn = new TxnRequest();
        var size = 0;
        foreach (var op in operations)
        {
            var opSize = op.CalculateSize() + 8;
            if (opSize > budget)
            {
                throw new ArgumentException($"one etcd write of {opSize} bytes is over etcd's request limit of {Options.MaxRequestBytes} bytes", nameof(operations));
            }

            if (txn.Success.Count == Options.MaxTxnOps || size + opSize > budget)
            {
                await TxnAsync(txn, cancellationToken);
                transactions++;
                txn = new TxnRequest();
                size = 0;
            }

            txn.Success.Add(op);
            size += opSize;
        }

        if (txn.Success.Count > 0)
        {
            await TxnAsync(txn, cancellationToken);
            transactions++;
        }

        return transactions;
    }
}
