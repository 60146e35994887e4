using FileSwarm.Etcd.Protocol;
using FileSwarm.Etcd.Tests.Infrastructure;
using FileSwarm.Rpc;
using Google.Protobuf;

namespace FileSwarm.Etcd.Tests;

[Collection(EtcdClientCollection.Name)]
public sealed class KvTests(EtcdServer etcd) : IDisposable
{
    private readonly EtcdClient _client = etcd.CreateClient(o => o.RangePageSize = 7);
    private readonly string _prefix = EtcdServer.NewPrefix();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Put_get_delete_one_key()
    {
        var key = _prefix + "one";
        var revision = await _client.PutAsync(key, "value-1");
        var found = await _client.GetAsync(key);

        Assert.NotNull(found);
        Assert.Equal("value-1", found.Value.ToStringUtf8());
        Assert.Equal(revision, found.ModRevision);
        Assert.Equal(1, await _client.DeleteAsync(key));
        Assert.Null(await _client.GetAsync(key));
        Assert.Equal(0, await _client.DeleteAsync(key));
    }

    [Fact]
    public async Task A_prefix_lists_in_pages_every_key_under_it_and_nothing_beside_it()
    {
        var expected = Enumerable.Range(0, 40).Select(i => $"{_prefix}k/{i:D3}").ToList();
        foreach (var key in expected)
        {
            await _client.PutAsync(key, key);
        }

        // Neighbours that a sloppy range end would include.
        await _client.PutAsync(_prefix + "k0", "x");
        await _client.PutAsync(_prefix[..^1] + "0", "x");

        var (kvs, revision) = await _client.GetPrefixAsync(_prefix + "k/");

        Assert.Equal(expected, kvs.Select(kv => kv.Key.ToStringUtf8()).ToList());
        Assert.True(revision >= kvs.Max(kv => kv.ModRevision));
        Assert.Equal(40, await _client.CountPrefixAsync(_prefix + "k/"));
        Assert.Equal(40, await _client.DeletePrefixAsync(_prefix + "k/"));
        Assert.Empty((await _client.GetPrefixAsync(_prefix + "k/")).Kvs);
        Assert.NotNull(await _client.GetAsync(_prefix + "k0"));
    }

    [Fact]
    public void The_prefix_end_increments_the_last_byte_below_0xff()
    {
        Assert.Equal("/a0", EtcdKeys.PrefixEnd("/a/").ToStringUtf8());
        Assert.Equal(new byte[] { 0x61, 0x02 }, EtcdKeys.PrefixEnd(ByteString.CopyFrom(0x61, 0x01, 0xff)).ToByteArray());
        Assert.Equal(new byte[] { 0 }, EtcdKeys.PrefixEnd(ByteString.CopyFrom(0xff, 0xff)).ToByteArray());
    }

    [Fact]
    public async Task A_transaction_compares_and_puts_atomically()
    {
        var key = _prefix + "cas";
        var create = new TxnRequest
        {
            Compare = { new Compare { Key = EtcdKeys.Key(key), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = EtcdKeys.Key(key), Value = ByteString.CopyFromUtf8("first") } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = EtcdKeys.Key(key) } } },
        };

        var first = await _client.TxnAsync(create);
        var second = await _client.TxnAsync(create);

        Assert.True(first.Succeeded);
        Assert.False(second.Succeeded);
        Assert.Equal("first", second.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());
    }

    [Fact]
    public async Task Many_writes_are_batched_under_etcds_request_size_and_operation_limits()
    {
        var value = ByteString.CopyFrom(new byte[10 * 1024]);
        var entries = Enumerable.Range(0, 300).Select(i => new KeyValuePair<string, ByteString>($"{_prefix}batch/{i:D3}", value)).ToList();
        var before = _client.Metrics.Get(EtcdOperation.Txn);

        var transactions = await _client.PutManyAsync(entries);

        // 3 MB of values need at least two 1.5 MiB requests, and 300 operations at least three of 128.
        Assert.InRange(transactions, 3, 4);
        Assert.Equal(transactions, _client.Metrics.Get(EtcdOperation.Txn) - before);
        Assert.Equal(300, await _client.CountPrefixAsync(_prefix + "batch/"));
    }

    [Fact]
    public async Task A_single_write_over_the_request_limit_is_refused_before_it_is_sent()
    {
        var huge = new KeyValuePair<string, ByteString>(_prefix + "huge", ByteString.CopyFrom(new byte[EtcdClientOptions.EtcdMaxRequestBytes]));

        await Assert.ThrowsAsync<ArgumentException>(() => _client.PutManyAsync([huge]));
        Assert.Null(await _client.GetAsync(_prefix + "huge"));
    }

    [Fact]
    public async Task Errors_carry_etcds_status()
    {
        var unknownLease = await Assert.ThrowsAsync<EtcdException>(() => _client.PutAsync(_prefix + "leased", "x", lease: 0x7fff_0000_1234));
        Assert.Equal(StatusCode.NotFound, unknownLease.StatusCode);
        Assert.Contains("lease not found", unknownLease.Message, StringComparison.Ordinal);

        var emptyKey = await Assert.ThrowsAsync<EtcdException>(() => _client.RangeAsync(new RangeRequest()));
        Assert.Equal(StatusCode.InvalidArgument, emptyKey.StatusCode);
    }

    [Fact]
    public async Task Calls_move_to_the_next_endpoint_when_one_is_down()
    {
        var dead = new Uri($"http://127.0.0.1:{DeadPort()}");
        using var client = etcd.CreateClient(o => o.Endpoints = [dead, etcd.Endpoint]);

        await client.PutAsync(_prefix + "failover", "ok");
        var found = await client.GetAsync(_prefix + "failover");

        Assert.Equal("ok", found?.Value.ToStringUtf8());
        Assert.Equal(1, client.Metrics.Get(EtcdOperation.Failover));
        Assert.Equal(etcd.Endpoint, client.CurrentEndpoint);
    }

    [Fact]
    public async Task An_unreachable_etcd_is_a_clear_unavailable_error()
    {
        using var client = etcd.CreateClient(o => o.Endpoints = [new Uri($"http://127.0.0.1:{DeadPort()}"), new Uri($"http://127.0.0.1:{DeadPort()}")]);

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.GetAsync(_prefix + "x"));

        Assert.True(error.IsUnavailable, error.ToString());
        Assert.Contains("cannot be reached", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_are_validated_with_a_clear_message()
    {
        var endpoints = new[] { etcd.Endpoint };
        Assert.Contains("GOAWAY", Assert.Throws<ArgumentException>(() => new EtcdClientOptions { Endpoints = endpoints, KeepAlivePingDelay = TimeSpan.FromSeconds(5) }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("MaxRequestBytes", Assert.Throws<ArgumentException>(() => new EtcdClientOptions { Endpoints = endpoints, MaxRequestBytes = 4 * 1024 * 1024 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("MaxTxnOps", Assert.Throws<ArgumentException>(() => new EtcdClientOptions { Endpoints = endpoints, MaxTxnOps = 129 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new EtcdClientOptions { Endpoints = [] }.Validate());
        Assert.Equal([new Uri("http://a:2379"), new Uri("https://b:2380")], EtcdClientOptions.ParseEndpoints("a:2379, https://b:2380"));
        Assert.Throws<ArgumentException>(() => EtcdClientOptions.ParseEndpoints("ftp://a:1"));
        Assert.Throws<ArgumentException>(() => EtcdClientOptions.ParseEndpoints(" , "));
    }

    /// <summary>A port nothing listens on (bound then released; nothing else runs here that would take it).</summary>
    internal static int DeadPort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
