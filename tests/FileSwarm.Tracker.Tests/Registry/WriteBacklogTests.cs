using FileSwarm.Core;
using FileSwarm.Tracker.Registry.Internal;
using Google.Protobuf;

namespace FileSwarm.Tracker.Tests.Registry;

/// <summary>The etcd registry's write queue, without etcd: one write per key (the latest), in arrival order, in batches under the limits.</summary>
public sealed class WriteBacklogTests
{
    private static readonly Sha1Hash Swarm = Sha1Hash.Compute("swarm"u8);
    private readonly CachedSwarm _owner = new();

    [Fact]
    public void A_key_written_again_while_waiting_keeps_its_place_and_takes_the_latest_value()
    {
        var backlog = new WriteBacklog(maxOps: 128, maxBytes: 1 << 20);
        backlog.Add(Write("a", "a1"));
        backlog.Add(Write("b", "b1"));
        backlog.Add(Write("a", "a2"));
        backlog.Add(Write("c", null));
        backlog.Add(Write("a", "a3"));

        var batch = backlog.Take();

        Assert.Equal(["a3", "b1", null], batch.Select(w => w.Value?.ToStringUtf8()).ToList());
        Assert.Equal(2, backlog.Collapsed);
        Assert.Equal(0, backlog.Count);
        Assert.Empty(backlog.Take());
    }

    [Fact]
    public void Batches_stop_at_the_operation_and_byte_limits_but_always_carry_one_write()
    {
        var byOps = new WriteBacklog(maxOps: 2, maxBytes: 1 << 20);
        var bySize = new WriteBacklog(maxOps: 128, maxBytes: 100);
        for (var i = 0; i < 5; i++)
        {
            byOps.Add(Write($"k{i}", "v"));
            bySize.Add(Write($"k{i}", new string('x', 60)));
        }

        Assert.Equal([2, 2, 1], [byOps.Take().Count, byOps.Take().Count, byOps.Take().Count]);
        var sizes = Enumerable.Range(0, 5).Select(_ => bySize.Take()).ToList();
        Assert.All(sizes, batch => Assert.Single(batch));
        Assert.Equal(0, bySize.Count);
    }

    [Fact]
    public void A_key_written_again_while_its_transaction_is_in_flight_is_held_until_that_one_lands()
    {
        var backlog = new WriteBacklog(maxOps: 128, maxBytes: 1 << 20);
        backlog.Add(Write("a", "a1"));
        var first = backlog.Take();
        backlog.Add(Write("a", "a2"));
        backlog.Add(Write("b", "b1"));
        backlog.Add(Write("a", "a3"));

        // Another transaction in flight meanwhile must not carry "a": etcd could apply it before the first.
        Assert.True(backlog.Contains(Swarm, Slot("a")));
        Assert.Equal(2, backlog.Count);
        Assert.Equal(1, backlog.Ready);
        var second = backlog.Take();
        Assert.Equal("b1", Assert.Single(second).Value?.ToStringUtf8());
        Assert.Empty(backlog.Take());

        backlog.Landed(first);

        Assert.Equal(1, backlog.Ready);
        Assert.Equal("a3", Assert.Single(backlog.Take()).Value?.ToStringUtf8());
        Assert.Equal("a1", Assert.Single(first).Value?.ToStringUtf8());
        Assert.Equal(1, backlog.Collapsed);
    }

    [Fact]
    public void A_key_whose_transaction_landed_queues_again_in_arrival_order()
    {
        var backlog = new WriteBacklog(maxOps: 128, maxBytes: 1 << 20);
        backlog.Add(Write("a", "a1"));
        backlog.Landed(backlog.Take());
        backlog.Add(Write("b", "b1"));
        backlog.Add(Write("a", "a2"));

        Assert.Equal(["b1", "a2"], backlog.Take().Select(w => w.Value?.ToStringUtf8()).ToList());
        Assert.Equal(0, backlog.Collapsed);
    }

    private static Sha1Hash Slot(string peer) => Sha1Hash.Compute(System.Text.Encoding.UTF8.GetBytes(peer));

    private PendingWrite Write(string peer, string? value) =>
        new(Swarm, Slot(peer), ByteString.CopyFromUtf8("/swarms/" + peer), value is null ? null : ByteString.CopyFromUtf8(value), _owner, 0);
}
