using FileSwarm.Core;
using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Serving;
using FileSwarm.Peer.Tests.Infrastructure;

namespace FileSwarm.Peer.Tests.Serving;

public sealed class SuperSeederTests
{
    private const int Pieces = 64;
    private const int PieceLength = 1024 * 1024;
    private static readonly Sha1Hash File = Sha1Hash.Compute([7]);

    private static Bitfield Holding(params int[] pieces)
    {
        var have = new Bitfield(Pieces);
        foreach (var piece in pieces)
        {
            have[piece] = true;
        }

        return have;
    }

    private static Bitfield Offer(SuperSeeder seeder, string asker, Bitfield have) =>
        seeder.Offer(File, Pieces, PieceLength, asker, have) ?? throw new InvalidOperationException($"no offer for {asker}");

    [Fact]
    public void Askers_are_offered_disjoint_pieces_they_lack_sized_to_their_share_of_the_cap()
    {
        var seeder = new SuperSeeder(8 * PieceLength, new FakeTimeProvider(), new Random(1));
        var lone = Offer(seeder, "a", Holding(0, 1, 2));
        Assert.Equal(8, lone.CountSet);

        var b = Offer(seeder, "b", Holding());
        var c = Offer(seeder, "c", Holding());
        var a = Offer(seeder, "a", Holding(0, 1, 2));

        // One second of the cap for the lone asker; each newcomer gets its share of it (a keeps what it was offered).
        Assert.Equal(8, a.CountSet);
        Assert.Equal(8 / 2, b.CountSet);
        Assert.Equal(3, c.CountSet);
        Assert.All(a.SetIndices(), p => Assert.True(p > 2, $"piece {p} is held by its asker"));
        var all = a.SetIndices().Concat(b.SetIndices()).Concat(c.SetIndices()).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public void An_offer_stays_with_its_asker_until_it_holds_the_piece_and_delivered_pieces_settle_before_another_offer()
    {
        var time = new FakeTimeProvider();
        var seeder = new SuperSeeder(2 * PieceLength, time) { MinOffer = 1 };
        var first = Offer(seeder, "a", Holding()).SetIndices().ToArray();
        Assert.Equal(first, Offer(seeder, "a", Holding()).SetIndices());

        var delivered = first[0];
        var next = Offer(seeder, "a", Holding(delivered));
        Assert.False(next[delivered]);

        // Every other piece was handed out once as well: the delivered piece is not offered again until it settled.
        var everything = Enumerable.Range(0, Pieces).Where(p => p != delivered).ToArray();
        Assert.False(Offer(seeder, "b", Holding(everything))[delivered]);
        time.Advance(seeder.SettleTime);
        Offer(seeder, "a", Holding(delivered));
        Assert.True(Offer(seeder, "b", Holding(everything))[delivered]);
    }

    [Fact]
    public void Pieces_never_handed_out_come_before_pieces_already_delivered()
    {
        var seeder = new SuperSeeder(PieceLength, new FakeTimeProvider(), new Random(2)) { MinOffer = 1, SettleTime = TimeSpan.Zero };
        var delivered = new HashSet<int>();
        var aHas = Holding();
        for (var i = 0; i < 32; i++)
        {
            var piece = Assert.Single(Offer(seeder, "a", aHas).SetIndices());
            Assert.True(delivered.Add(piece));
            aHas[piece] = true;
        }

        // "a" was handed 32 pieces (the last one still counts as its offer until it says it holds it); 32 never were.
        var bHas = Holding();
        for (var i = 0; i < 32; i++)
        {
            var piece = Assert.Single(Offer(seeder, "b", bHas).SetIndices());
            Assert.DoesNotContain(piece, delivered);
            bHas[piece] = true;
        }

        Assert.Contains(Assert.Single(Offer(seeder, "b", bHas).SetIndices()), delivered);
    }

    [Fact]
    public void The_offers_of_an_asker_that_went_silent_go_back_to_the_pool()
    {
        var time = new FakeTimeProvider();
        var seeder = new SuperSeeder(Pieces * PieceLength, time);
        Assert.Equal(Pieces, Offer(seeder, "gone", Holding()).CountSet);
        Assert.Equal(0, Offer(seeder, "late", Holding()).CountSet);

        time.Advance(seeder.AskerTimeout + TimeSpan.FromMilliseconds(1));
        Offer(seeder, "late", Holding());

        Assert.Equal(Pieces, Offer(seeder, "late", Holding()).CountSet);
    }

    [Fact]
    public void Askers_beyond_the_limit_get_no_offer()
    {
        var seeder = new SuperSeeder(PieceLength, new FakeTimeProvider()) { MaxAskers = 2 };
        Assert.NotNull(seeder.Offer(File, Pieces, PieceLength, "a", Holding()));
        Assert.NotNull(seeder.Offer(File, Pieces, PieceLength, "b", Holding()));

        Assert.Null(seeder.Offer(File, Pieces, PieceLength, "c", Holding()));
        Assert.NotNull(seeder.Offer(File, Pieces, PieceLength, "a", Holding()));
    }

    [Fact]
    public void A_forgotten_file_has_no_state_left_and_its_next_offers_start_afresh()
    {
        var seeder = new SuperSeeder(Pieces * PieceLength, new FakeTimeProvider());
        Assert.Equal(Pieces, Offer(seeder, "a", Holding()).CountSet);
        seeder.Forget(Sha1Hash.Compute([8]));
        Assert.Equal(1, seeder.FileCount);

        seeder.Forget(File);

        Assert.Equal(0, seeder.FileCount);
        // "a" still held an offer of every piece: only a fresh start offers them all to the next asker.
        Assert.Equal(Pieces, Offer(seeder, "b", Holding()).CountSet);
    }

    [Fact]
    public void A_bitfield_of_another_size_is_refused()
    {
        var seeder = new SuperSeeder(PieceLength, new FakeTimeProvider());
        Assert.Throws<ArgumentException>(() => seeder.Offer(File, Pieces, PieceLength, "a", new Bitfield(Pieces + 1)));
    }
}
