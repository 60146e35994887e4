using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Tests.Infrastructure;
using FsCheck;
using FsCheck.Fluent;

namespace FileSwarm.Core.Tests.BEncoding;

public class BencodePropertyTests
{
    private static readonly Gen<BValue> Values = Gen.Sized(size => ValueOfSize(Math.Min(size, 24)));

    private static Gen<BValue> ValueOfSize(int size)
    {
        var bytes = Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf();
        var leaf = Gen.OneOf(
            Gen.Choose(int.MinValue, int.MaxValue).Select(i => (BValue)new BInteger(i)),
            Gen.Elements(long.MinValue, long.MaxValue, 0L, -1L).Select(l => (BValue)new BInteger(l)),
            bytes.Select(b => (BValue)new BString(b)));
        if (size <= 0)
        {
            return leaf;
        }

        var child = Gen.Sized(_ => ValueOfSize(size / 3));
        return Gen.OneOf(
            leaf,
            child.ListOf(4).Select(items => (BValue)new BList(items)),
            Gen.Zip(bytes, child).ListOf(4).Select(pairs =>
            {
                var unique = new Dictionary<string, KeyValuePair<BString, BValue>>();
                foreach (var (key, value) in pairs)
                {
                    unique[Convert.ToHexString(key)] = new(new BString(key), value);
                }

                return (BValue)new BDictionary(unique.Values);
            }));
    }

    [Fact]
    public void Encoding_then_parsing_round_trips_byte_for_byte() =>
        Properties.Check(Prop.ForAll(Values.ToArbitrary(), value =>
        {
            var encoded = Bencode.Encode(value);
            var parsed = Bencode.Parse(encoded);
            return encoded.AsSpan().SequenceEqual(Bencode.Encode(parsed))
                && parsed.RawBytes.Span.SequenceEqual(encoded)
                && Equivalent(value, parsed);
        }), maxTest: 500);

    [Fact]
    public void Random_bytes_only_ever_raise_a_format_error() =>
        Properties.Check(Prop.ForAll(Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf().ToArbitrary(), bytes =>
            ParsesOrFailsCleanly(bytes) && TorrentParsesOrFailsCleanly(bytes)), maxTest: 2000);

    [Fact]
    public void Bencode_like_noise_only_ever_raises_a_format_error()
    {
        // Random bytes rarely get past the first byte; this alphabet reaches deep into the parser.
        var alphabet = "ild e:0123456789-x"u8.ToArray();
        Properties.Check(Prop.ForAll(Gen.Elements(alphabet).ArrayOf().ToArbitrary(), bytes => ParsesOrFailsCleanly(bytes) && TorrentParsesOrFailsCleanly(bytes)), maxTest: 3000);
    }

    [Fact]
    public void Mutated_torrents_only_ever_raise_a_format_error()
    {
        var valid = SampleTorrent();
        var mutations = Gen.Zip(Gen.Zip(Gen.Choose(0, valid.Length - 1), Gen.Choose(0, 255)), Gen.Choose(0, 3), (pv, kind) => (Position: pv.Item1, Value: pv.Item2, Kind: kind)).ListOf(6);
        Properties.Check(Prop.ForAll(mutations.ToArbitrary(), edits =>
        {
            var bytes = new List<byte>(valid);
            foreach (var (position, value, kind) in edits)
            {
                if (bytes.Count == 0)
                {
                    break;
                }

                var at = Math.Min(position, bytes.Count - 1);
                switch (kind)
                {
                    case 0: bytes[at] = (byte)value; break;
                    case 1: bytes.Insert(at, (byte)value); break;
                    case 2 when bytes.Count > 1: bytes.RemoveAt(at); break;
                    default: bytes.RemoveRange(at, bytes.Count - at); break;
                }
            }

            return ParsesOrFailsCleanly(bytes.ToArray()) && TorrentParsesOrFailsCleanly(bytes.ToArray());
        }), maxTest: 3000);
    }

    private static byte[] SampleTorrent() => new MetainfoBuilder
    {
        Name = "dir",
        PieceLength = 16384,
        PieceHashes = new byte[40],
        Files = [new MetainfoFileEntry(["a", "b.txt"], 20000), new MetainfoFileEntry(["c"], 100)],
        Announce = "http://tracker.invalid/announce",
        ContentSha1 = Sha1Hash.Compute([1, 2, 3]),
    }.Encode();

    private static bool ParsesOrFailsCleanly(byte[] bytes)
    {
        try
        {
            Bencode.Parse(bytes);
            return true;
        }
        catch (BencodeFormatException e)
        {
            return e.Offset >= 0 && e.Offset <= bytes.Length;
        }
    }

    private static bool TorrentParsesOrFailsCleanly(byte[] bytes)
    {
        try
        {
            TorrentMetainfo.Parse(bytes);
            return true;
        }
        catch (BencodeFormatException)
        {
            return true;
        }
        catch (MetainfoFormatException)
        {
            return true;
        }
    }

    private static bool Equivalent(BValue a, BValue b) => (a, b) switch
    {
        (BInteger x, BInteger y) => x.Value == y.Value,
        (BString x, BString y) => x.Span.SequenceEqual(y.Span),
        (BList x, BList y) => x.Count == y.Count && x.Zip(y).All(p => Equivalent(p.First, p.Second)),
        (BDictionary x, BDictionary y) => x.Count == y.Count && x.Zip(y).All(p => p.First.Key.Equals(p.Second.Key) && Equivalent(p.First.Value, p.Second.Value)),
        _ => false,
    };
}
