using FileSwarm.Etcd.Protocol;
using FileSwarm.Etcd.Tests.Infrastructure;

namespace FileSwarm.Etcd.Tests;

[Collection(EtcdClientCollection.Name)]
public sealed class WatchTests(EtcdServer etcd) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly EtcdClient _client = etcd.CreateClient();
    private readonly string _prefix = EtcdServer.NewPrefix();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_watch_lists_first_then_follows_puts_and_deletes_in_order()
    {
        await _client.PutAsync(_prefix + "before", "0");
        await _client.PutAsync(_prefix[..^1] + "-outside", "0");
        var mirror = new RecordingMirror();
        await using var watcher = EtcdWatcher.Start(_client, _prefix, mirror.ApplyAsync);
        await watcher.WaitSyncedAsync().WaitAsync(Wait);

        await _client.PutAsync(_prefix + "a", "1");
        await _client.PutAsync(_prefix + "a", "2");
        await _client.PutManyAsync([new(_prefix + "b", Google.Protobuf.ByteString.CopyFromUtf8("3")), new(_prefix + "c", Google.Protobuf.ByteString.CopyFromUtf8("4"))]);
        await _client.DeleteAsync(_prefix + "before");
        var last = await _client.PutAsync(_prefix + "z", "end");

        await Eventually.TrueAsync(() => watcher.Revision >= last, Wait, () => $"watch at {watcher.Revision}, last write {last}");
        Assert.Equal(new Dictionary<string, string> { [_prefix + "a"] = "2", [_prefix + "b"] = "3", [_prefix + "c"] = "4", [_prefix + "z"] = "end" }, mirror.Keys);
        Assert.Equal(1, mirror.Listings);
        var events = mirror.Events;
        Assert.Equal(events.OrderBy(e => e.Revision).ToList(), events);
        Assert.Equal(6, events.Count);
        Assert.Equal(Event.Types.EventType.Delete, events.Single(e => e.Key == _prefix + "before").Type);
        Assert.True(watcher.IsSynced);
        Assert.Equal(0, watcher.Reconnects);
    }

    [Fact]
    public async Task A_watch_behind_a_compaction_lists_again_and_goes_on()
    {
        var start = await _client.PutAsync(_prefix + "old", "1");
        await _client.PutAsync(_prefix + "old", "2");
        await _client.DeleteAsync(_prefix + "old");
        var kept = await _client.PutAsync(_prefix + "kept", "yes");
        await _client.CompactAsync(kept);

        var mirror = new RecordingMirror();
        await using var watcher = EtcdWatcher.Start(_client, _prefix, mirror.ApplyAsync, fromRevision: start);
        await Eventually.TrueAsync(() => watcher.IsSynced, Wait, () => watcher.LastError ?? "not synced");
        var after = await _client.PutAsync(_prefix + "after", "new");

        await Eventually.TrueAsync(() => mirror.Keys.ContainsKey(_prefix + "after"), Wait, () => "the put after the re-listing did not arrive");
        Assert.Equal(1, mirror.Listings);
        Assert.Equal(1, watcher.Listings);
        Assert.Equal(new Dictionary<string, string> { [_prefix + "kept"] = "yes", [_prefix + "after"] = "new" }, mirror.Keys);
        Assert.Equal(after, watcher.Revision);
    }

    [Fact]
    public async Task A_watch_reaches_etcd_past_a_dead_endpoint()
    {
        using var client = etcd.CreateClient(o => o.Endpoints = [new Uri($"http://127.0.0.1:{KvTests.DeadPort()}"), etcd.Endpoint]);
        var mirror = new RecordingMirror();
        await using var watcher = EtcdWatcher.Start(client, _prefix, mirror.ApplyAsync);
        await watcher.WaitSyncedAsync().WaitAsync(Wait);

        await _client.PutAsync(_prefix + "seen", "yes");

        await Eventually.TrueAsync(() => mirror.Keys.ContainsKey(_prefix + "seen"), Wait, () => "no event");
        Assert.Equal(etcd.Endpoint, client.CurrentEndpoint);
    }
}
