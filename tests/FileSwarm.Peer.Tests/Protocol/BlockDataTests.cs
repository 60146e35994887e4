using System.Buffers;
using FileSwarm.Peer.Tests.Infrastructure;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Tests.Protocol;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;

namespace FileSwarm.Peer.Tests.Protocol;

/// <summary>
/// <see cref="BlockData.CopyTo"/> reads a serialized GetBlockResponse as Google.Protobuf does: same data (the last
/// occurrence), unknown fields of every wire type skipped, whatever segments the bytes arrive in; malformed bytes
/// are INTERNAL and nothing else.
/// </summary>
public sealed class BlockDataTests
{
    /// <summary>One field of a message: data (field 1, bytes) or an unknown field of a given wire type.</summary>
    public sealed record Field(WireFormat.WireType WireType, int Number, ulong Value, int Length)
    {
        public bool IsData => Number == 1 && WireType == WireFormat.WireType.LengthDelimited;

        public override string ToString() => $"{Number}:{WireType}({(WireType == WireFormat.WireType.LengthDelimited ? $"{Length} bytes" : Value)})";
    }

    /// <summary>A message, where its bytes are cut into segments, and which destination length the caller brings.</summary>
    public sealed record Case(Field[] Fields, int[] Cuts, int DestinationChoice, int Seed)
    {
        public override string ToString() => $"[{string.Join(", ", Fields.Select(f => f.ToString()))}] cuts [{string.Join(',', Cuts)}] destination {DestinationChoice} seed {Seed}";
    }

    private static readonly Gen<ulong> Values = Gen.OneOf(
        Gen.Elements<ulong>(0UL, 1UL, 127UL, 128UL, 16383UL, 16384UL, uint.MaxValue, (ulong)uint.MaxValue + 1, long.MaxValue, ulong.MaxValue),
        Gen.Zip(Gen.Choose(int.MinValue, int.MaxValue), Gen.Choose(int.MinValue, int.MaxValue), (hi, lo) => ((ulong)(uint)hi << 32) | (uint)lo));

    private static readonly Gen<int> Lengths = Gen.Frequency(
        (6, Gen.Choose(0, 200)),
        (2, Gen.Elements(0, 1, 127, 128, 4096, 16384)),
        (1, Gen.Choose(200, 70_000)));

    private static readonly Gen<int> UnknownNumbers = Gen.OneOf(
        Gen.Choose(1, 20),
        Gen.Elements(15, 16, 2047, 2048, 262_143, 262_144, 536_870_911),
        Gen.Choose(2, 536_870_911));

    private static readonly Gen<Field> Fields = Gen.Frequency(
        (3, Lengths.Select(length => new Field(WireFormat.WireType.LengthDelimited, 1, 0, length))),
        (1, Gen.Zip(UnknownNumbers, Values, (n, v) => new Field(WireFormat.WireType.Varint, n, v, 0))),
        (1, Gen.Zip(UnknownNumbers, Values, (n, v) => new Field(WireFormat.WireType.Fixed64, n, v, 0))),
        (1, Gen.Zip(UnknownNumbers, Values, (n, v) => new Field(WireFormat.WireType.Fixed32, n, v, 0))),
        (1, Gen.Zip(UnknownNumbers.Where(n => n != 1), Lengths, (n, length) => new Field(WireFormat.WireType.LengthDelimited, n, 0, length))));

    private static readonly Gen<Case> Cases =
        from count in Gen.Choose(0, 6)
        from fields in Fields.ArrayOf(count)
        from cuts in Gen.Choose(0, 1 << 20).ArrayOf()
        from destination in Gen.Choose(0, 9)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Case(fields, cuts, destination, seed);

    [Fact]
    public void Reads_the_data_Google_Protobuf_reads_whatever_surrounds_it_and_wherever_it_is_split() =>
        Properties.Check(Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var (bytes, _) = Serialize(c.Fields, c.Seed);
            var expected = GetBlockResponse.Parser.ParseFrom(bytes).Data.ToByteArray();
            var dataLengths = c.Fields.Where(f => f.IsData).Select(f => f.Length).ToArray();

            // Mostly a destination of the right length; else one of an earlier data field, or any length.
            var length = c.DestinationChoice switch
            {
                < 6 => expected.Length,
                < 8 when dataLengths.Length > 0 => dataLengths[c.DestinationChoice % dataLengths.Length],
                _ => new Random(c.Seed).Next(0, 300),
            };
            var destination = new byte[length];
            Array.Fill(destination, (byte)0xA5);
            var payload = SequenceBuilder.Split(bytes, c.Cuts.Select(cut => bytes.Length == 0 ? 0 : cut % bytes.Length).ToArray());

            var read = BlockData.CopyTo(payload, destination);

            Assert.Equal(expected.Length, read);
            if (read == destination.Length)
            {
                Assert.Equal(expected, destination);
            }
            else
            {
                Assert.True(destination.AsSpan().IndexOfAnyExcept((byte)0xA5) < 0, "the destination was written though the data has another length");
            }

            return true;
        }), maxTest: 500);

    [Fact]
    public void A_message_cut_inside_a_field_is_INTERNAL() =>
        Properties.Check(Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var (bytes, boundaries) = Serialize(c.Fields, c.Seed);
            if (bytes.Length == 0)
            {
                return true;
            }

            var at = c.Seed % bytes.Length;
            var truncated = bytes[..at];
            var payload = SequenceBuilder.Split(truncated, c.Cuts.Select(cut => truncated.Length == 0 ? 0 : cut % truncated.Length).ToArray());
            if (boundaries.Contains(at))
            {
                // Between fields: still a valid message, read as Google.Protobuf reads it.
                Assert.Equal(GetBlockResponse.Parser.ParseFrom(truncated).Data.Length, BlockData.CopyTo(payload, new byte[1]));
            }
            else
            {
                var error = Assert.Throws<RpcException>(() => BlockData.CopyTo(payload, new byte[16]));
                Assert.Equal(StatusCode.Internal, error.StatusCode);
            }

            return true;
        }), maxTest: 500);

    [Fact]
    public void Garbled_bytes_only_ever_give_a_length_or_INTERNAL()
    {
        var garbled =
            from c in Cases
            from edits in Gen.Zip(Gen.Choose(0, int.MaxValue), Gen.Choose(0, 255)).ListOf()
            select (c, edits);
        Properties.Check(Prop.ForAll(garbled.ToArbitrary(), g =>
        {
            var (bytes, _) = Serialize(g.c.Fields, g.c.Seed);
            if (bytes.Length == 0)
            {
                bytes = [0xFF];
            }

            foreach (var (position, value) in g.edits)
            {
                bytes[position % bytes.Length] = (byte)value;
            }

            var payload = SequenceBuilder.Split(bytes, g.c.Cuts.Select(cut => cut % bytes.Length).ToArray());
            try
            {
                var read = BlockData.CopyTo(payload, new byte[8]);
                Assert.InRange(read, 0, bytes.Length);
            }
            catch (RpcException error)
            {
                Assert.Equal(StatusCode.Internal, error.StatusCode);
            }

            return true;
        }), maxTest: 1000);
    }

    [Theory]
    [InlineData(new byte[] { 0x0A, 0x05, 1, 2 })]
    [InlineData(new byte[] { 0x0A })]
    [InlineData(new byte[] { 0x0A, 0x80 })]
    [InlineData(new byte[] { 0x00, 0x00 })]
    [InlineData(new byte[] { 0x0E, 0x00 })]
    [InlineData(new byte[] { 0x11, 1, 2, 3 })]
    [InlineData(new byte[] { 0x15, 1, 2, 3 })]
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    [InlineData(new byte[] { 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    [InlineData(new byte[] { 0x1B, 0x20, 0x01 })]
    [InlineData(new byte[] { 0x1B, 0x24 })]
    [InlineData(new byte[] { 0x1C })]
    public void Known_malformations_are_INTERNAL(byte[] bytes)
    {
        var destination = new byte[2];
        var error = Assert.Throws<RpcException>(() => BlockData.CopyTo(new ReadOnlySequence<byte>(bytes), destination));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal(new byte[2], destination);
    }

    [Fact]
    public void Unknown_groups_are_skipped_as_Google_Protobuf_skips_them()
    {
        // Group 3 { varint 4, group 5 { fixed32 6 } }, then data "ab", then an empty group 7.
        byte[] bytes = [0x1B, 0x20, 0x01, 0x2B, 0x35, 1, 2, 3, 4, 0x2C, 0x1C, 0x0A, 0x02, (byte)'a', (byte)'b', 0x3B, 0x3C];
        var expected = GetBlockResponse.Parser.ParseFrom(bytes);
        var destination = new byte[2];

        Assert.Equal(expected.Data.Length, BlockData.CopyTo(new ReadOnlySequence<byte>(bytes), destination));
        Assert.Equal(expected.Data.ToByteArray(), destination);
    }

    [Fact]
    public void A_deferred_response_serializes_exactly_as_the_same_message_with_its_data_set() =>
        Prop.ForAll(Gen.Choose(0, 70_000).ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (length, seed) =>
            {
                var data = new byte[length];
                new Random(seed).NextBytes(data);
                var calls = 0;
                ISelfSerializingMessage deferred = GetBlockResponse.Deferred(length, destination =>
                {
                    calls++;
                    Assert.Equal(length, destination.Length);
                    data.CopyTo(destination);
                });

                var expected = new GetBlockResponse { Data = ByteString.CopyFrom(data) }.ToByteArray();
                var written = new byte[deferred.SerializedSize];
                deferred.WriteTo(written);
                return written.SequenceEqual(expected) && calls == (length == 0 ? 0 : 1);
            })
            .QuickCheckThrowOnFailure();

    [Fact]
    public void A_response_built_the_usual_way_serializes_itself_as_protobuf_does()
    {
        ISelfSerializingMessage response = new GetBlockResponse { Data = ByteString.CopyFrom(1, 2, 3) };
        var written = new byte[response.SerializedSize];
        response.WriteTo(written);
        Assert.Equal(new GetBlockResponse { Data = ByteString.CopyFrom(1, 2, 3) }.ToByteArray(), written);
        Assert.Throws<ArgumentOutOfRangeException>(() => GetBlockResponse.Deferred(-1, _ => { }));
    }

    /// <summary>The fields serialized in order (data bytes random), and the offsets at which a field starts or the message ends.</summary>
    private static (byte[] Bytes, HashSet<int> Boundaries) Serialize(Field[] fields, int seed)
    {
        var random = new Random(seed);
        using var stream = new MemoryStream();
        var boundaries = new HashSet<int> { 0 };
        foreach (var field in fields)
        {
            var output = new CodedOutputStream(stream, leaveOpen: true);
            output.WriteTag(field.Number, field.WireType);
            switch (field.WireType)
            {
                case WireFormat.WireType.Varint:
                    output.WriteUInt64(field.Value);
                    break;
                case WireFormat.WireType.Fixed64:
                    output.WriteFixed64(field.Value);
                    break;
                case WireFormat.WireType.Fixed32:
                    output.WriteFixed32((uint)field.Value);
                    break;
                default:
                    var bytes = new byte[field.Length];
                    random.NextBytes(bytes);
                    output.WriteBytes(ByteString.CopyFrom(bytes));
                    break;
            }

            output.Flush();
            boundaries.Add((int)stream.Length);
        }

        return (stream.ToArray(), boundaries);
    }
}
