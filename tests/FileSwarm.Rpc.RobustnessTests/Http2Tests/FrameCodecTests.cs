using System.Buffers;
using FileSwarm.Rpc.RobustnessTests.Http2;

namespace FileSwarm.Rpc.RobustnessTests.Http2Tests;

/// <summary>The raw client's frame parsing over buffers split at every possible point.</summary>
public sealed class FrameCodecTests
{
    private static readonly byte[] TwoFrames =
    [
        .. Http2FrameCodec.EncodeFrame(Http2FrameType.Headers, Http2Flags.EndHeaders | Http2Flags.EndStream, 3, [0x88]),
        .. Http2FrameCodec.EncodeFrame(Http2FrameType.Data, Http2Flags.None, 0x7FFF_FFFF, [1, 2, 3, 4, 5]),
    ];

    [Fact]
    public void Frames_parse_however_the_buffer_is_split()
    {
        for (var split = 0; split <= TwoFrames.Length; split++)
        {
            var buffer = Split(TwoFrames, split);
            Assert.True(Http2FrameCodec.TryReadFrame(ref buffer, Http2FrameCodec.DefaultMaxFrameSize, out var first), $"split {split}");
            Assert.Equal(new Http2Frame(Http2FrameType.Headers, 0x5, 3, [0x88]).ToString(), first.ToString());
            Assert.Equal([0x88], first.Payload);
            Assert.True(Http2FrameCodec.TryReadFrame(ref buffer, Http2FrameCodec.DefaultMaxFrameSize, out var second), $"split {split}");
            Assert.Equal(Http2FrameType.Data, second.Type);
            Assert.Equal(0x7FFF_FFFF, second.StreamId);
            Assert.Equal([1, 2, 3, 4, 5], second.Payload);
            Assert.True(buffer.IsEmpty);
        }
    }

    [Fact]
    public void Incomplete_frames_are_left_in_the_buffer()
    {
        for (var length = 0; length < 10; length++)
        {
            var buffer = new ReadOnlySequence<byte>(TwoFrames.AsMemory(0, length));
            Assert.False(Http2FrameCodec.TryReadFrame(ref buffer, Http2FrameCodec.DefaultMaxFrameSize, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void Reserved_stream_bit_is_ignored_and_oversized_frames_rejected()
    {
        var frame = Http2FrameCodec.EncodeFrame(Http2FrameType.Ping, 0, 0, new byte[8]);
        frame[5] |= 0x80;
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.True(Http2FrameCodec.TryReadFrame(ref buffer, 16_384, out var ping));
        Assert.Equal(0, ping.StreamId);

        var big = new ReadOnlySequence<byte>(Http2FrameCodec.EncodeFrame(Http2FrameType.Data, 0, 1, new byte[16_385]));
        Assert.Throws<InvalidDataException>(() => Http2FrameCodec.TryReadFrame(ref big, 16_384, out _));
    }

    [Fact]
    public void Padding_and_priority_are_stripped()
    {
        byte[] payload = [2, 0, 0, 0, 1, 16, 0x88, 0x89, 0, 0];
        var headers = new Http2Frame(Http2FrameType.Headers, Http2Flags.Padded | Http2Flags.Priority | Http2Flags.EndHeaders, 1, payload);
        Assert.Equal([0x88, 0x89], Http2FrameCodec.UnpaddedContent(headers).ToArray());

        var data = new Http2Frame(Http2FrameType.Data, Http2Flags.Padded, 1, [3, 7, 0, 0, 0]);
        Assert.Equal([7], Http2FrameCodec.UnpaddedContent(data).ToArray());

        var bad = new Http2Frame(Http2FrameType.Data, Http2Flags.Padded, 1, [9, 7]);
        Assert.Throws<InvalidDataException>(() => Http2FrameCodec.UnpaddedContent(bad));
    }

    [Fact]
    public void Control_frame_payloads_round_trip()
    {
        var settings = Http2FrameCodec.ParseSettings(Http2FrameCodec.EncodeSettings([(Http2SettingId.HeaderTableSize, 0), (Http2SettingId.InitialWindowSize, int.MaxValue)]));
        Assert.Equal([(Http2SettingId.HeaderTableSize, 0u), (Http2SettingId.InitialWindowSize, (uint)int.MaxValue)], settings);
        Assert.Throws<InvalidDataException>(() => Http2FrameCodec.ParseSettings(new byte[5]));

        Assert.Equal(Http2ErrorCode.Cancel, Http2FrameCodec.ParseRstStream(Http2FrameCodec.EncodeUInt32(8)));
        Assert.Equal(1000, Http2FrameCodec.ParseWindowUpdate(Http2FrameCodec.EncodeUInt32(0x8000_03E8)));

        byte[] goAway = [0x80, 0, 0, 5, 0, 0, 0, 1, (byte)'h', (byte)'i'];
        Assert.Equal(new GoAway(5, Http2ErrorCode.ProtocolError, "hi"), Http2FrameCodec.ParseGoAway(goAway));
    }

    /// <summary>The bytes as a sequence of segments, cut at <paramref name="split"/> and then every 3 bytes.</summary>
    private static ReadOnlySequence<byte> Split(byte[] bytes, int split)
    {
        var cuts = new List<int> { 0, split };
        for (var i = split + 3; i < bytes.Length; i += 3)
        {
            cuts.Add(i);
        }

        cuts.Add(bytes.Length);
        Segment? first = null;
        Segment? last = null;
        for (var i = 0; i + 1 < cuts.Count; i++)
        {
            var memory = bytes.AsMemory(cuts[i], cuts[i + 1] - cuts[i]);
            if (first is null)
            {
                first = last = new Segment(memory, 0);
            }
            else
            {
                last = last!.Append(memory);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
