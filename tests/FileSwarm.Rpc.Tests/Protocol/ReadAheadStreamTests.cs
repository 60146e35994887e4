using FileSwarm.Rpc.Client.Internal;
using FsCheck;
using FsCheck.Fluent;

namespace FileSwarm.Rpc.Tests.Protocol;

public sealed class ReadAheadStreamTests
{
    private const int BufferSize = ReadAheadStream.ReceiveBufferSize;

    [Fact]
    public async Task Small_reads_are_served_from_one_large_receive()
    {
        var source = Bytes(BufferSize);
        var inner = new ScriptedStream([source]);
        await using var stream = new ReadAheadStream(inner);

        var read = await ReadAllAsync(stream, 9);

        Assert.Equal(source, read);
        // One receive of a whole buffer, then the end of the stream.
        Assert.Equal(2, inner.ReadSizes.Count);
        Assert.True(inner.ReadSizes[0] >= BufferSize);
    }

    [Fact]
    public async Task A_read_as_large_as_the_buffer_goes_straight_to_the_socket()
    {
        var inner = new ScriptedStream([Bytes(100)]);
        await using var stream = new ReadAheadStream(inner);

        var destination = new byte[BufferSize];
        Assert.Equal(100, await stream.ReadAsync(destination));

        Assert.Equal([BufferSize], inner.ReadSizes);
    }

    [Fact]
    public async Task A_zero_byte_read_completes_at_once_while_bytes_are_buffered_and_waits_on_the_socket_otherwise()
    {
        var inner = new ScriptedStream([Bytes(10)]);
        await using var stream = new ReadAheadStream(inner);

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        Assert.Equal([0], inner.ReadSizes);

        var first = new byte[4];
        Assert.Equal(4, await stream.ReadAsync(first));
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        Assert.Equal(0, stream.Read(Span<byte>.Empty));
        // Buffered bytes answered both zero-byte reads: the socket saw only the first one and the receive.
        Assert.Equal(2, inner.ReadSizes.Count);

        var rest = new byte[10];
        Assert.Equal(6, await stream.ReadAsync(rest));
        Assert.Equal(Bytes(10)[4..], rest[..6]);
    }

    [Fact]
    public async Task The_end_of_the_stream_reads_as_zero_and_a_failed_receive_surfaces()
    {
        await using (var stream = new ReadAheadStream(new ScriptedStream([])))
        {
            Assert.Equal(0, await stream.ReadAsync(new byte[16]));
            Assert.Equal(0, stream.Read(new byte[16]));
        }

        await using var failing = new ReadAheadStream(new ScriptedStream([], fail: new IOException("connection reset")));
        var error = await Assert.ThrowsAsync<IOException>(async () => Assert.Equal(0, await failing.ReadAsync(new byte[16])));
        Assert.Equal("connection reset", error.Message);
    }

    [Fact]
    public async Task Writes_pass_through_and_disposal_closes_the_connection()
    {
        var inner = new ScriptedStream([]);
        var stream = new ReadAheadStream(inner);

        await stream.WriteAsync(new byte[] { 1, 2, 3 });
        stream.Write([4, 5]);
        await stream.FlushAsync();
        await stream.DisposeAsync();

        Assert.Equal([1, 2, 3, 4, 5], inner.Written.ToArray());
        Assert.True(inner.Disposed);
    }

    [Fact]
    public void Whatever_the_socket_delivers_and_the_reader_asks_the_bytes_come_out_in_order() =>
        Prop.ForAll(
            (from length in Gen.Choose(1, 3 * BufferSize)
             from sync in Gen.Elements(true, false)
             select (length, sync)).ToArbitrary(),
            Gen.Choose(1, BufferSize + 10).ArrayOf().Where(a => a.Length > 0).ToArbitrary(),
            Gen.Choose(0, BufferSize + 10).ArrayOf().Where(a => a.Length > 0).ToArbitrary(),
            (run, deliveries, reads) =>
            {
                var (length, sync) = run;
                var source = Bytes(length);
                var chunks = new List<byte[]>();
                for (int offset = 0, i = 0; offset < length; i++)
                {
                    var size = Math.Min(deliveries[i % deliveries.Length], length - offset);
                    chunks.Add(source[offset..(offset + size)]);
                    offset += size;
                }

                using var stream = new ReadAheadStream(new ScriptedStream(chunks));
                var received = new List<byte>();
                for (var i = 0; ; i++)
                {
                    var destination = new byte[reads[i % reads.Length]];
                    var count = sync ? stream.Read(destination) : stream.ReadAsync(destination).AsTask().GetAwaiter().GetResult();
                    if (count == 0 && destination.Length > 0)
                    {
                        break;
                    }

                    received.AddRange(destination.AsSpan(0, count));
                    if (i > 10 * (length + 10))
                    {
                        return false;
                    }
                }

                return received.SequenceEqual(source);
            })
            .QuickCheckThrowOnFailure();

    private static byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        new Random(count).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, int readSize)
    {
        var all = new List<byte>();
        var destination = new byte[readSize];
        int count;
        while ((count = await stream.ReadAsync(destination)) > 0)
        {
            all.AddRange(destination.AsSpan(0, count));
        }

        return [.. all];
    }

    // A connection that delivers its chunks one per receive (a receive larger than the chunk gets the chunk, a
    // smaller one its front), then the end of the stream or an error; it records the size of every read.
    private sealed class ScriptedStream(IEnumerable<byte[]> chunks, Exception? fail = null) : Stream
    {
        private readonly Queue<byte[]> _chunks = new(chunks);

        public List<int> ReadSizes { get; } = [];

        public MemoryStream Written { get; } = new();

        public bool Disposed { get; private set; }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(Span<byte> destination)
        {
            ReadSizes.Add(destination.Length);
            if (_chunks.Count == 0)
            {
                return fail is null ? 0 : throw fail;
            }

            if (destination.IsEmpty)
            {
                return 0;
            }

            var chunk = _chunks.Dequeue();
            var count = Math.Min(chunk.Length, destination.Length);
            chunk.AsSpan(0, count).CopyTo(destination);
            if (count < chunk.Length)
            {
                var rest = new Queue<byte[]>([chunk[count..], .. _chunks]);
                _chunks.Clear();
                foreach (var item in rest)
                {
                    _chunks.Enqueue(item);
                }
            }

            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(destination.Span));

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
