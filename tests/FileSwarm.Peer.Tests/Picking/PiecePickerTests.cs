using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Transfers.Picking;

namespace FileSwarm.Peer.Tests.Picking;

public sealed class PiecePickerTests
{
    // 10 pieces of 4 blocks of 100 bytes; the last piece is 250 bytes (3 blocks, the last clipped to 50).
    private static readonly PieceLayout Layout = new(10, 400, 3850);

    private static Bitfield All(int length = 10)
    {
        var bits = new Bitfield(length);
        bits.SetAll(true);
        return bits;
    }

    private static Bitfield Of(params int[] pieces)
    {
        var bits = new Bitfield(10);
        foreach (var piece in pieces)
        {
            bits[piece] = true;
        }

        return bits;
    }

    private static PiecePicker Picker(int seed = 1, Bitfield? have = null, IPieceSelector? selector = null) =>
        new(Layout, 100, have, selector, new Random(seed));

    [Fact]
    public void Rarest_piece_is_started_first()
    {
        var picker = Picker();
        picker.Availability.Add(All());
        picker.Availability.Add(All());
        picker.Availability.Add(Of(0, 1, 2, 3, 4, 5, 6, 8, 9));

        // Piece 7 is held by two peers, every other piece by three.
        Assert.Equal(7, picker.Pick("a", All())!.Value.Piece);
    }

    [Fact]
    public void Availability_follows_bitfields()
    {
        var availability = new PieceAvailability(10);
        availability.Add(Of(1, 2));
        availability.Add(All());
        availability.Replace(Of(1, 2), Of(2, 3));
        availability.Remove(All());

        Assert.Equal([0, 0, 1, 1, 0, 0, 0, 0, 0, 0], Enumerable.Range(0, 10).Select(p => availability[p]));
    }

    [Fact]
    public void Equally_rare_pieces_are_chosen_at_random()
    {
        var seen = new HashSet<int>();
        var counts = new int[10];
        for (var seed = 0; seed < 400; seed++)
        {
            var picker = Picker(seed);
            picker.Availability.Add(All());
            var piece = picker.Pick("a", All())!.Value.Piece;
            counts[piece]++;
            seen.Add(piece);
        }

        // Uniform over 10 pieces: each expected 40 times; a sequential picker would always say 0.
        Assert.Equal(10, seen.Count);
        Assert.All(counts, c => Assert.InRange(c, 10, 90));
    }

    [Fact]
    public void Only_pieces_the_peer_has_and_we_lack_are_picked()
    {
        var picker = Picker(have: Of(5));
        var peerHas = Of(2, 5);
        picker.Availability.Add(peerHas);

        var picked = picker.Pick("a", peerHas, 100);

        Assert.Equal(4, picked.Count);
        Assert.All(picked, r => Assert.Equal(2, r.Piece));
        Assert.Null(picker.Pick("a", Of(5)));
        Assert.False(picker.IsInteresting(Of(5)));
        Assert.True(picker.IsInteresting(peerHas));
    }

    [Fact]
    public void Blocks_cover_the_piece_and_are_clipped_at_its_end()
    {
        var picker = Picker(selector: new SequentialSelector());

        var picked = picker.Pick("a", Of(9), 10);

        Assert.Equal([new(9, 0, 100), new(9, 100, 100), new(9, 200, 50)], picked);
    }

    [Fact]
    public void A_peer_finishes_its_own_piece_before_starting_another()
    {
        var picker = Picker();
        picker.Availability.Add(All());

        var first = picker.Pick("a", All(), 4);

        Assert.Single(first.Select(r => r.Piece).Distinct());
    }

    [Fact]
    public void Partial_pieces_given_back_are_finished_before_new_ones_are_started()
    {
        var picker = Picker(selector: new RarestFirstSelector(new SequentialSelector()));
        var a = picker.Pick("a", All(), 2);
        picker.Arrive(a[0], "a", new List<object>());
        picker.Written(a[0]);
        picker.Release(a[1], "a");
        picker.ForgetPeer("a");

        // Piece 3 is the rarest, but piece 0 is half done and nobody is fetching it.
        picker.Availability.Add(All());
        picker.Availability.Add(Of(0, 1, 2, 4, 5, 6, 7, 8, 9));
        var b = picker.Pick("b", All(), 3);

        Assert.Equal([new(0, 100, 100), new(0, 200, 100), new(0, 300, 100)], b);
        Assert.Equal(3, picker.Pick("b", All())!.Value.Piece);
    }

    [Fact]
    public void Endgame_starts_only_when_every_missing_block_is_requested_and_duplicates_go_to_other_peers()
    {
        var picker = Picker(have: Of(0, 1, 2, 3, 4, 5, 6, 7, 8));
        var a = picker.Pick("a", All(), 2);
        Assert.False(picker.IsEndgame);
        Assert.Single(picker.Pick("a", All(), 1));
        Assert.True(picker.IsEndgame);

        // Peer a already asked for every block; b gets each outstanding block once, fewest requesters first.
        Assert.Null(picker.Pick("a", All()));
        var b = picker.Pick("b", All(), 10);
        Assert.Equal(3, b.Count);
        Assert.All(b, r => Assert.Equal(9, r.Piece));

        var losers = new List<object>();
        Assert.True(picker.Arrive(a[0], "b", losers));
        Assert.Equal(["a"], losers);
        Assert.False(picker.Arrive(a[0], "a", new List<object>()));
    }

    [Fact]
    public void Endgame_respects_the_requesters_cap()
    {
        var picker = new PiecePicker(Layout, 400, Of(0, 1, 2, 3, 4, 5, 6, 7, 8), random: new Random(1)) { MaxRequestersPerBlock = 2 };
        Assert.NotNull(picker.Pick("a", All()));
        Assert.NotNull(picker.Pick("b", All()));
        Assert.Null(picker.Pick("c", All()));
    }

    [Fact]
    public void A_released_block_goes_back_to_the_pool()
    {
        var picker = Picker(have: Of(0, 1, 2, 3, 4, 5, 6, 7, 8));
        var a = picker.Pick("a", All(), 3);
        Assert.True(picker.IsEndgame);

        Assert.True(picker.Release(a[1], "a"));
        Assert.False(picker.IsEndgame);
        Assert.Equal(a[1], picker.Pick("b", All()));
    }

    [Fact]
    public void A_good_piece_is_held_and_credits_its_suppliers()
    {
        var picker = Picker(have: Of(0, 1, 2, 3, 4, 5, 6, 7, 8));
        var a = picker.Pick("a", All(), 3);
        foreach (var r in a)
        {
            Assert.True(picker.Arrive(r, "a", new List<object>()));
            Assert.Equal(r == a[^1], picker.Written(r));
        }

        var outcome = picker.Verified(9, ok: true);

        Assert.True(outcome.Ok);
        Assert.Equal(["a"], outcome.Suppliers);
        Assert.True(picker.IsComplete);
    }

    [Fact]
    public void A_bad_piece_from_several_peers_is_refetched_from_one()
    {
        var picker = Picker(have: Of(0, 1, 2, 3, 4, 5, 6, 7, 8));
        var a = picker.Pick("a", All(), 2);
        var b = picker.Pick("b", All(), 1);
        foreach (var (r, peer) in a.Select(r => (r, "a")).Append((b[0], "b")))
        {
            picker.Arrive(r, peer, new List<object>());
            picker.Written(r);
        }

        var outcome = picker.Verified(9, ok: false);

        Assert.False(outcome.Ok);
        Assert.Equal(["a", "b"], outcome.Suppliers.Order());
        Assert.True(picker.IsSingleSource(9));
        var retry = picker.Pick("c", All());
        Assert.NotNull(retry);
        Assert.Null(picker.Pick("a", All()));
        Assert.Equal(2, picker.Pick("c", All(), 5).Count);
    }

    [Fact]
    public void A_bad_piece_from_one_peer_names_it()
    {
        var picker = Picker(have: Of(0, 1, 2, 3, 4, 5, 6, 7, 8));
        foreach (var r in picker.Pick("a", All(), 3))
        {
            picker.Arrive(r, "a", new List<object>());
            picker.Written(r);
        }

        var outcome = picker.Verified(9, ok: false);

        Assert.Equal(["a"], outcome.Suppliers);
        Assert.False(picker.IsSingleSource(9));
        Assert.Equal(3, picker.FreeBlockCount);
    }

    [Fact]
    public void Selectors_compose()
    {
        var availability = new PieceAvailability(10);
        availability.Add(Of(1, 2, 3));
        availability.Add(Of(1, 3));
        int[] candidates = [1, 2, 3];

        Assert.Equal(2, new RarestFirstSelector(new SequentialSelector()).Select(candidates, availability, new Random(1)));
        Assert.Equal(1, new SequentialSelector().Select([3, 1, 2], availability, new Random(1)));
        Assert.Equal(-1, new RarestFirstSelector(new RandomSelector()).Select([], availability, new Random(1)));
    }
}
