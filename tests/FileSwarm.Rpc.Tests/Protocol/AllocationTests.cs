using System.Buffers;
using FileSwarm.Rpc.Internal;
using FileSwarm.Rpc.Tests.Protos;
using Google.Protobuf;

namespace FileSwarm.Rpc.Tests.Protocol;

/// <summary>The framing hot path must not allocate a buffer per message.</summary>
public sealed class AllocationTests
{
    private const int Iterations = 2_000;
    private const int BodySize = 4096;

    [Fact]
    public void WriteMessage_into_a_reused_writer_allocates_nothing()
    {
        var message = new Payload { Body = ByteString.CopyFrom(new byte[BodySize]), Text = "hot path", Count = 42 };
        using var writer = new PooledBufferWriter();
        for (var i = 0; i < 100; i++)
        {
            writer.Reset();
            MessageFraming.WriteMessage(writer, message, null);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            writer.Reset();
            MessageFraming.WriteMessage(writer, message, null);
        }

        var perMessage = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Iterations;

        // Anything near the message size would be a per-message copy.
        Assert.True(perMessage < 64, $"WriteMessage allocated {perMessage:0.#} bytes per message.");
    }

    [Fact]
    public void Write_read_and_parse_allocates_no_more_than_the_parsed_message()
    {
        var message = new Payload { Body = ByteString.CopyFrom(new byte[BodySize]), Text = "hot path", Count = 42 };
        using var writer = new PooledBufferWriter();
        RoundTrip(writer, message, 100);

        var before = GC.GetAllocatedBytesForCurrentThread();
        RoundTrip(writer, message, Iterations);
        var perMessage = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Iterations;

        // The parsed message holds its body (BodySize bytes plus array, ByteString and string
        // overheads); a second copy of the payload, or a pooled buffer rented fresh, would show.
        Assert.True(perMessage >= BodySize, $"The measurement is broken: {perMessage:0.#} bytes per message.");
        Assert.True(perMessage < BodySize + 512, $"Read and parse allocated {perMessage:0.#} bytes per message.");
    }

    private static void RoundTrip(PooledBufferWriter writer, Payload message, int iterations)
    {
        for (var i = 0; i < iterations; i++)
        {
            writer.Reset();
            MessageFraming.WriteMessage(writer, message, null);
            var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
            if (!MessageFraming.TryReadMessage(ref buffer, null, out var compressed, out var payload))
            {
                Assert.Fail("The message was not read back.");
            }

            var parsed = MessageFraming.Parse(Payload.Parser, payload, compressed, null, null);
            if (parsed.Count != 42)
            {
                Assert.Fail("The message was not parsed back.");
            }
        }
    }
}
