using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FileSwarm.Core.Pieces;

namespace FileSwarm.Core.Tests.Pieces;

public sealed class PieceBufferPoolTests
{
    [Theory]
    [InlineData(16384, 16384, 1)]
    [InlineData(16384, (4 * 16384) + 16383, 4)]
    [InlineData(4096, 10 * 4096, 10)]
    [InlineData(1000, 3500, 3)]
    public void Rents_budget_divided_by_buffer_length_then_nothing(int bufferLength, long budget, int expected)
    {
        var pool = new PieceBufferPool(bufferLength, budget);
        var rented = new List<PieceBuffer>();
        for (var i = 0; i < expected; i++)
        {
            rented.Add(pool.TryRent(bufferLength) ?? throw new Xunit.Sdk.XunitException($"no buffer {i + 1} of {expected}"));
        }

        Assert.Null(pool.TryRent(bufferLength));
        Assert.Null(pool.TryRent(1));
        Assert.Equal(expected, pool.Allocated);
        Assert.Equal(expected, pool.Rented);
        Assert.Equal(expected, rented.Distinct().Count());

        rented[0].Dispose();
        Assert.Equal(expected - 1, pool.Rented);
        using var again = pool.TryRent(bufferLength);
        Assert.NotNull(again);
        Assert.Null(pool.TryRent(bufferLength));
        Assert.Equal(expected, pool.Allocated);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16383)]
    public void A_budget_below_one_buffer_never_gives_one(long budget)
    {
        var pool = new PieceBufferPool(16384, budget);
        Assert.Null(pool.TryRent(16384));
        Assert.Null(pool.TryRent(1));
        Assert.Equal(0, pool.Allocated);
    }

    [Fact]
    public void Disposed_buffers_are_reused_so_allocation_stays_flat()
    {
        var pool = new PieceBufferPool(16384, 3 * 16384);
        var seen = new HashSet<PieceBuffer>(ReferenceEqualityComparer.Instance);
        for (var cycle = 0; cycle < 1000; cycle++)
        {
            var a = pool.TryRent(16384)!;
            var b = pool.TryRent(1 + (cycle % 16384))!;
            seen.Add(a);
            seen.Add(b);
            a.Dispose();
            b.Dispose();
            Assert.Equal(0, pool.Rented);
        }

        Assert.Equal(2, pool.Allocated);
        Assert.Equal(2, seen.Count);
    }

    [Theory]
    [InlineData(16384, 16384)]
    [InlineData(16384, 1)]
    [InlineData(16384, 6657)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData(5000, 4097)]
    public void The_span_starts_on_a_page_and_has_the_length_asked_for(int bufferLength, int length)
    {
        var pool = new PieceBufferPool(bufferLength, 4L * bufferLength);
        var buffers = Enumerable.Range(0, 4).Select(_ => pool.TryRent(length)!).ToArray();
        foreach (var buffer in buffers)
        {
            Assert.Equal(length, buffer.Length);
            Assert.Equal(length, buffer.Span.Length);
            Assert.Equal(0, AddressOf(buffer.Span) % 4096);

            // The whole span is usable: writing it end to end touches nothing of another buffer.
            buffer.Span.Fill((byte)Array.IndexOf(buffers, buffer));
        }

        for (var i = 0; i < buffers.Length; i++)
        {
            Assert.True(buffers[i].Span.IndexOfAnyExcept((byte)i) < 0, $"buffer {i} was overwritten");
            buffers[i].Dispose();
        }

        // A reused buffer takes the new length.
        using var shorter = pool.TryRent(Math.Max(1, length / 2))!;
        Assert.Equal(Math.Max(1, length / 2), shorter.Span.Length);
        Assert.Equal(0, AddressOf(shorter.Span) % 4096);
    }

    [Fact]
    public void Lengths_outside_the_buffer_are_refused()
    {
        var pool = new PieceBufferPool(16384, 16384);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.TryRent(16385));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.TryRent(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PieceBufferPool(0, 16384));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PieceBufferPool(16384, -1));
        Assert.Equal(0, pool.Allocated);
    }

    [Fact]
    public void Disposing_twice_gives_the_buffer_back_once_and_a_disposed_span_is_refused()
    {
        var pool = new PieceBufferPool(16384, 2 * 16384);
        var buffer = pool.TryRent(16384)!;
        buffer.Dispose();
        buffer.Dispose();
        Assert.Equal(0, pool.Rented);
        Assert.Throws<ObjectDisposedException>(() => buffer.Span.Length);

        // Given back once: two rents get two different buffers, and the budget still holds.
        var first = pool.TryRent(16384)!;
        var second = pool.TryRent(16384)!;
        Assert.NotSame(first, second);
        Assert.Null(pool.TryRent(16384));
        Assert.Equal(2, pool.Allocated);

        // The stale reference is the re-rented buffer now; disposing it again must not free the new rent twice.
        var reused = ReferenceEquals(first, buffer) ? first : second;
        reused.Dispose();
        reused.Dispose();
        Assert.Equal(1, pool.Rented);
        Assert.NotNull(pool.TryRent(16384));
        Assert.Null(pool.TryRent(16384));
    }

    [Fact]
    public async Task Concurrent_renters_never_exceed_the_budget()
    {
        const int budgetBuffers = 3;
        var pool = new PieceBufferPool(8192, budgetBuffers * 8192);
        var holding = 0;
        var maxHolding = 0;
        var rents = 0;
        var threads = Enumerable.Range(0, 6).Select(t => Task.Factory.StartNew(
            () =>
            {
                var random = new Random(t);
                for (var i = 0; i < 5000; i++)
                {
                    using var buffer = pool.TryRent(random.Next(1, 8193));
                    if (buffer is null)
                    {
                        continue;
                    }

                    var now = Interlocked.Increment(ref holding);
                    InterlockedMax(ref maxHolding, now);
                    Interlocked.Increment(ref rents);
                    buffer.Span[0] = (byte)t;
                    buffer.Span[^1] = (byte)t;
                    Thread.Yield();
                    Assert.Equal((byte)t, buffer.Span[0]);
                    Assert.Equal((byte)t, buffer.Span[^1]);
                    Interlocked.Decrement(ref holding);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(threads);

        Assert.True(maxHolding <= budgetBuffers, $"{maxHolding} buffers held at once with a budget of {budgetBuffers}");
        Assert.True(pool.Allocated <= budgetBuffers, $"{pool.Allocated} buffers allocated");
        Assert.Equal(0, pool.Rented);
        Assert.True(rents > 0);
    }

    private static nint AddressOf(Span<byte> span) =>
        Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref MemoryMarshal.GetReference(span));

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
