using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using FileSwarm.Rpc.Internal;
using FileSwarm.Rpc.Tests.Protos;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;

namespace FileSwarm.Rpc.Tests.Protocol;

public sealed class MessageFramingTests
{
    private static readonly byte[] Body = [.. Enumerable.Range(1, 10).Select(i => (byte)i)];

    [Fact]
    public void A_message_is_read_whatever_segment_boundary_splits_it()
    {
        var frame = Frame(0, Body);
        for (var cut = 0; cut <= frame.Length; cut++)
        {
            AssertReadsBody(SequenceBuilder.Split(frame, cut), $"cut at {cut}");
            for (var second = cut + 1; second < frame.Length; second++)
            {
                AssertReadsBody(SequenceBuilder.Split(frame, cut, second), $"cuts at {cut} and {second}");
            }
        }

        AssertReadsBody(SequenceBuilder.OneBytePerSegment(frame), "one byte per segment");
    }

    [Fact]
    public void An_incomplete_header_or_body_leaves_the_buffer_untouched()
    {
        var frame = Frame(0, Body);
        for (var available = 0; available < frame.Length; available++)
        {
            var buffer = SequenceBuilder.OneBytePerSegment(frame[..available]);
            var before = buffer;
            Assert.False(MessageFraming.TryReadMessage(ref buffer, 100, out _, out var payload));
            Assert.Equal(before, buffer);
            Assert.True(payload.IsEmpty);
        }
    }

    [Fact]
    public void Messages_are_taken_one_at_a_time_and_a_partial_one_stays_in_the_buffer()
    {
        byte[] data = [.. Frame(0, [7]), .. Frame(0, []), .. Frame(0, Body)[..8]];
        var buffer = SequenceBuilder.Split(data, 3, 6, 9);

        Assert.True(MessageFraming.TryReadMessage(ref buffer, null, out _, out var first));
        Assert.Equal(new byte[] { 7 }, first.ToArray());
        Assert.Equal(13, buffer.Length);

        Assert.True(MessageFraming.TryReadMessage(ref buffer, null, out _, out var empty));
        Assert.True(empty.IsEmpty);
        Assert.Equal(8, buffer.Length);

        Assert.False(MessageFraming.TryReadMessage(ref buffer, null, out _, out _));
        Assert.Equal(Frame(0, Body)[..8], buffer.ToArray());
    }

    [Fact]
    public void An_oversized_message_is_refused_as_soon_as_its_header_is_there()
    {
        // Only the header has arrived; the 1000 bytes it announces never will.
        var header = Frame(0, new byte[1000])[..5];
        var buffer = SequenceBuilder.Split(header, 2);
        var ex = Assert.Throws<RpcException>(() => MessageFraming.TryReadMessage(ref buffer, 999, out _, out _));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        // Exactly at the limit is allowed: the reader waits for the body.
        buffer = new ReadOnlySequence<byte>(header);
        Assert.False(MessageFraming.TryReadMessage(ref buffer, 1000, out _, out _));
    }

    [Fact]
    public void Without_a_limit_a_length_beyond_what_a_buffer_can_hold_is_still_refused()
    {
        var header = new byte[] { 0, 0xFF, 0xFF, 0xFF, 0xFF };
        var buffer = new ReadOnlySequence<byte>(header);
        var ex = Assert.Throws<RpcException>(() => MessageFraming.TryReadMessage(ref buffer, null, out _, out _));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public void A_compressed_flag_other_than_0_or_1_is_an_internal_error(byte flag)
    {
        var buffer = new ReadOnlySequence<byte>(Frame(flag, Body));
        var ex = Assert.Throws<RpcException>(() => MessageFraming.TryReadMessage(ref buffer, null, out _, out _));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public void The_compressed_flag_is_reported()
    {
        var buffer = new ReadOnlySequence<byte>(Frame(1, Body));
        Assert.True(MessageFraming.TryReadMessage(ref buffer, null, out var compressed, out _));
        Assert.True(compressed);
    }

    [Fact]
    public void Write_then_read_gives_back_the_message_whatever_the_split() =>
        Prop.ForAll(PayloadArb(), Gen.Choose(0, 64).ToArbitrary(), (message, cut) =>
            {
                using var writer = new PooledBufferWriter(16);
                var written = MessageFraming.WriteMessage(writer, message, null);
                var bytes = writer.WrittenMemory.ToArray();
                var buffer = SequenceBuilder.Split(bytes, cut, cut + 3);
                var read = MessageFraming.TryReadMessage(ref buffer, bytes.Length, out var compressed, out var payload);
                return read && !compressed && buffer.IsEmpty && written == bytes.Length
                    && MessageFraming.Parse(Payload.Parser, payload, false, null, null).Equals(message);
            })
            .QuickCheckThrowOnFailure();

    [Fact]
    public void A_message_up_to_the_contiguous_limit_is_written_into_one_span_asked_for_whole()
    {
        var message = new Payload { Body = ByteString.CopyFrom(RandomBytes(256 * 1024)) };
        var writer = new SmallSpanWriter(4096);

        var written = MessageFraming.WriteMessage(writer, message, null);

        Assert.Equal(message.CalculateSize() + 5, written);
        Assert.Equal([written], writer.Hints);
        Assert.Equal(message, ReadBack(writer.Written));
    }

    [Fact]
    public void A_message_over_the_contiguous_limit_is_written_piecewise_into_small_spans()
    {
        var message = new Payload { Body = ByteString.CopyFrom(RandomBytes(MessageFraming.ContiguousWriteLimit)) };
        var writer = new SmallSpanWriter(4096);

        var written = MessageFraming.WriteMessage(writer, message, null);

        Assert.Equal(message.CalculateSize() + 5, written);
        Assert.True(writer.Hints.Count > 1, "written in more than one span");
        Assert.All(writer.Hints, hint => Assert.True(hint <= 4096, $"asked for {hint} bytes at once"));
        Assert.Equal(message, ReadBack(writer.Written));
    }

    [Fact]
    public void WriteMessage_refuses_a_message_over_the_send_limit_and_writes_nothing()
    {
        var message = new Payload { Body = ByteString.CopyFrom(new byte[100]) };
        var size = message.CalculateSize();
        using var writer = new PooledBufferWriter();

        Assert.Equal(size + 5, MessageFraming.WriteMessage(writer, message, size));
        writer.Reset();
        var ex = Assert.Throws<RpcException>(() => MessageFraming.WriteMessage(writer, message, size - 1));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal(0, writer.WrittenMemory.Length);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public void Parse_decompresses_gzip_and_deflate(string encoding)
    {
        var message = new Payload { Text = "compressed", Body = ByteString.CopyFrom(new byte[50_000]) };
        var compressed = Compress(message.ToByteArray(), encoding);
        Assert.True(compressed.Length < 1000);

        var parsed = MessageFraming.Parse(Payload.Parser, SequenceBuilder.Split(compressed, 3, 10), true, encoding, 1_000_000);
        Assert.Equal(message, parsed);
    }

    [Theory]
    [InlineData("br")]
    [InlineData("snappy")]
    public void A_message_compressed_with_an_unreadable_encoding_is_refused_by_name(string encoding)
    {
        var compressed = new ReadOnlySequence<byte>(Compress(new Payload { Text = "x" }.ToByteArray(), "gzip"));
        var ex = Assert.Throws<RpcException>(() => MessageFraming.Parse(Payload.Parser, compressed, true, encoding, 1_000_000));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Contains(encoding, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public void The_receive_limit_holds_for_the_decompressed_size(string encoding)
    {
        var message = new Payload { Body = ByteString.CopyFrom(new byte[100_000]) };
        var size = message.CalculateSize();
        var compressed = new ReadOnlySequence<byte>(Compress(message.ToByteArray(), encoding));

        Assert.Equal(message, MessageFraming.Parse(Payload.Parser, compressed, true, encoding, size));
        var ex = Assert.Throws<RpcException>(() => MessageFraming.Parse(Payload.Parser, compressed, true, encoding, size - 1));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("identity")]
    public void A_compressed_message_without_an_encoding_is_an_internal_error(string? encoding)
    {
        var compressed = new ReadOnlySequence<byte>(Compress(new Payload { Text = "x" }.ToByteArray(), "gzip"));
        var ex = Assert.Throws<RpcException>(() => MessageFraming.Parse(Payload.Parser, compressed, true, encoding, null));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public void Corrupt_compressed_data_and_bad_protobuf_are_internal_errors()
    {
        var notGzip = new ReadOnlySequence<byte>([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        Assert.Equal(StatusCode.Internal, Assert.Throws<RpcException>(() => MessageFraming.Parse(Payload.Parser, notGzip, true, "gzip", null)).StatusCode);

        // Field 1 (bytes) announcing 100 bytes that are not there.
        var truncated = new ReadOnlySequence<byte>([0x0A, 100, 1, 2]);
        Assert.Equal(StatusCode.Internal, Assert.Throws<RpcException>(() => MessageFraming.Parse(Payload.Parser, truncated, false, null, null)).StatusCode);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("identity", true)]
    [InlineData("gzip", true)]
    [InlineData("deflate", true)]
    [InlineData("br", false)]
    [InlineData("snappy", false)]
    public void Supported_encodings(string? encoding, bool expected) =>
        Assert.Equal(expected, MessageFraming.IsSupportedEncoding(encoding));

    internal static byte[] Frame(byte flag, byte[] body)
    {
        var frame = new byte[5 + body.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)body.Length);
        body.CopyTo(frame, 5);
        return frame;
    }

    private static void AssertReadsBody(ReadOnlySequence<byte> buffer, string because)
    {
        var read = MessageFraming.TryReadMessage(ref buffer, Body.Length, out var compressed, out var payload);
        Assert.True(read, because);
        Assert.False(compressed);
        Assert.Equal(Body, payload.ToArray());
        Assert.True(buffer.IsEmpty, because);
    }

    private static byte[] Compress(byte[] data, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding == "gzip"
                   ? new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)
                   : new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(count).NextBytes(bytes);
        return bytes;
    }

    private static Payload ReadBack(byte[] frame)
    {
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.True(MessageFraming.TryReadMessage(ref buffer, null, out var compressed, out var payload));
        Assert.False(compressed);
        Assert.True(buffer.IsEmpty);
        return MessageFraming.Parse(Payload.Parser, payload, false, null, null);
    }

    // A writer like a pipe over a block pool: spans of at most BlockSize bytes unless a larger size is asked for.
    private sealed class SmallSpanWriter(int blockSize) : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public List<int> Hints { get; } = [];

        public byte[] Written => [.. _written];

        public void Advance(int count) => _written.AddRange(_current.AsSpan(0, count));

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Hints.Add(sizeHint);
            _current = new byte[Math.Max(sizeHint, blockSize)];
            return _current;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    private static Arbitrary<Payload> PayloadArb() =>
        (from body in ArbMap.Default.GeneratorFor<byte[]>()
         from text in Gen.Choose(0x20, 0xD7FF).Select(c => (char)c).ArrayOf()
         from count in Gen.Choose(int.MinValue, int.MaxValue)
         select new Payload { Body = ByteString.CopyFrom(body), Text = new string(text), Count = count })
        .ToArbitrary();
}
