using System.Buffers;

namespace FileSwarm.Rpc.Tests.Protocol;

/// <summary>Multi-segment <see cref="ReadOnlySequence{T}"/>s, to test parsers against data split anywhere.</summary>
internal static class SequenceBuilder
{
    /// <summary><paramref name="data"/> cut at each of <paramref name="cuts"/> (ascending offsets) into separate segments.</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        var bounds = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().Prepend(0).Append(data.Length).ToArray();
        if (bounds.Length == 2)
        {
            return new ReadOnlySequence<byte>(data);
        }

        Segment? first = null;
        Segment? last = null;
        for (var i = 0; i < bounds.Length - 1; i++)
        {
            // Each segment gets its own array so that nothing can read across a boundary by accident.
            var memory = data.AsSpan(bounds[i], bounds[i + 1] - bounds[i]).ToArray();
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>Every byte in a segment of its own.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data) =>
        Split(data, [.. Enumerable.Range(1, Math.Max(0, data.Length - 1))]);

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
