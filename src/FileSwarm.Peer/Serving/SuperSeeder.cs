using System.Collections.Concurrent;
using FileSwarm.Core;
using FileSwarm.Core.Pieces;

namespace FileSwarm.Peer.Serving;

/// <summary>
/// Super-seeding, after BEP 16, for a peer whose capped upload is the swarm's bottleneck: every piece should leave it
/// about once and the downloaders trade the rest among themselves. Downloaders that start together and pick
/// rarest-first each see the same pieces as rarest (only the seeder holds them), so without help they keep asking the
/// seeder for the same ones within one bitfield poll, and a capped seeder spends its upload on copies.
/// </summary>
/// <remarks>
/// The seeder hands pieces out per asker (its <c>GetBitfield</c> carries the asker's id and what it holds): each asker
/// is offered pieces it lacks that no other live asker is holding an offer for, those handed out the fewest times first
/// (random among equals), enough to cover <see cref="OfferHorizon"/> of its share of the upload cap. A piece stays
/// offered to its asker until the asker reports holding it; then it counts as delivered and is not offered to anyone
/// for <see cref="SettleTime"/>, the time the other downloaders need to see it at its new holder. The offers of an asker
/// that stops asking for <see cref="AskerTimeout"/> go back to the pool, so a downloader that leaves holds nothing
/// back; a file's state goes with the file (<see cref="Forget"/>). Offers are advisory: the seeder still serves any
/// block it is asked for. Thread-safe.
/// </remarks>
public sealed class SuperSeeder
{
    private readonly ConcurrentDictionary<Sha1Hash, FileHandout> _files = new();
    private readonly TimeProvider _time;
    private readonly Random _random;

    /// <param name="uploadBytesPerSecond">The upload cap: how much the offers must keep busy.</param>
    public SuperSeeder(long uploadBytesPerSecond, TimeProvider? timeProvider = null, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(uploadBytesPerSecond, 1);
        UploadBytesPerSecond = uploadBytesPerSecond;
        _time = timeProvider ?? TimeProvider.System;
        _random = random ?? Random.Shared;
    }

    public long UploadBytesPerSecond { get; }

    /// <summary>Offers cover this much of an asker's share of the upload, so its requests never wait for the next poll.</summary>
    public TimeSpan OfferHorizon { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Fewest pieces offered to an asker that lacks that many.</summary>
    public int MinOffer { get; init; } = 2;

    /// <summary>An asker silent this long is gone: its offers go back to the pool.</summary>
    public TimeSpan AskerTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A delivered piece is offered to nobody else for this long (downloaders poll each other every 250 ms).</summary>
    public TimeSpan SettleTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Live askers per file at most; further ones get no offer (and fetch as from any seeder), so made-up ids cannot
    /// pin every piece in offers nobody takes.
    /// </summary>
    public int MaxAskers { get; init; } = 64;

    /// <summary>
    /// The pieces offered to <paramref name="askerId"/>, who holds <paramref name="askerHas"/>, of a file of
    /// <paramref name="pieceCount"/> pieces of <paramref name="pieceLength"/> bytes that this peer holds completely;
    /// null when <see cref="MaxAskers"/> others are being served offers already.
    /// </summary>
    public Bitfield? Offer(Sha1Hash infoHash, int pieceCount, int pieceLength, string askerId, Bitfield askerHas)
    {
        ArgumentException.ThrowIfNullOrEmpty(askerId);
        ArgumentNullException.ThrowIfNull(askerHas);
        ArgumentOutOfRangeException.ThrowIfLessThan(pieceLength, 1);
        if (askerHas.Length != pieceCount)
        {
            throw new ArgumentException($"a bitfield of {askerHas.Length} pieces does not fit a file of {pieceCount}", nameof(askerHas));
        }

        var file = _files.GetOrAdd(infoHash, static (_, count) => new FileHandout(count), pieceCount);
        if (file.PieceCount != pieceCount)
        {
            throw new ArgumentException($"{infoHash} has {file.PieceCount} pieces, not {pieceCount}", nameof(pieceCount));
        }

        lock (file)
        {
            return file.Offer(this, pieceLength, askerId, askerHas);
        }
    }

    /// <summary>Drops the hand-out state of a file this peer no longer holds; a file added again starts afresh.</summary>
    public void Forget(Sha1Hash infoHash) => _files.TryRemove(infoHash, out _);

    /// <summary>Files with hand-out state.</summary>
    internal int FileCount => _files.Count;

    private sealed class FileHandout(int pieceCount)
    {
        private readonly string?[] _offeredTo = new string?[pieceCount];
        private readonly int[] _delivered = new int[pieceCount];
        private readonly DateTimeOffset[] _settledAt = new DateTimeOffset[pieceCount];

        public int PieceCount { get; } = pieceCount;

        public Dictionary<string, Asker> Askers { get; } = new(StringComparer.Ordinal);

        public Bitfield? Offer(SuperSeeder owner, int pieceLength, string askerId, Bitfield askerHas)
        {
            var now = owner._time.GetUtcNow();
            ForgetSilentAskers(now - owner.AskerTimeout);
            if (!Askers.TryGetValue(askerId, out var asker))
            {
                if (Askers.Count >= owner.MaxAskers)
                {
                    return null;
                }

                asker = new Asker();
                Askers.Add(askerId, asker);
            }

            asker.LastSeen = now;
            asker.Offered.RemoveWhere(piece =>
            {
                if (!askerHas[piece])
                {
                    return false;
                }

                _offeredTo[piece] = null;
                _delivered[piece]++;
                _settledAt[piece] = now + owner.SettleTime;
                return true;
            });

            var share = owner.UploadBytesPerSecond * owner.OfferHorizon.TotalSeconds / Askers.Count;
            var target = Math.Max(owner.MinOffer, (int)Math.Ceiling(share / pieceLength));
            if (asker.Offered.Count < target)
            {
                TopUp(asker, askerId, askerHas, target - asker.Offered.Count, now, owner._random);
            }

            var offered = new Bitfield(PieceCount);
            foreach (var piece in asker.Offered)
            {
                offered[piece] = true;
            }

            return offered;
        }

        /// <summary>Adds up to <paramref name="wanted"/> free pieces the asker lacks, fewest deliveries first, random among equals.</summary>
        private void TopUp(Asker asker, string askerId, Bitfield askerHas, int wanted, DateTimeOffset now, Random random)
        {
            var candidates = new List<(int Delivered, int Tie, int Piece)>();
            for (var piece = 0; piece < PieceCount; piece++)
            {
                if (!askerHas[piece] && _offeredTo[piece] is null && _settledAt[piece] <= now)
                {
                    candidates.Add((_delivered[piece], random.Next(), piece));
                }
            }

            candidates.Sort();
            foreach (var (_, _, piece) in candidates.Take(wanted))
            {
                _offeredTo[piece] = askerId;
                asker.Offered.Add(piece);
            }
        }

        private void ForgetSilentAskers(DateTimeOffset silentSince)
        {
            List<string>? gone = null;
            foreach (var (id, asker) in Askers)
            {
                if (asker.LastSeen < silentSince)
                {
                    (gone ??= []).Add(id);
                    foreach (var piece in asker.Offered)
                    {
                        _offeredTo[piece] = null;
                    }
                }
            }

            foreach (var id in gone ?? [])
            {
                Askers.Remove(id);
            }
        }
    }

    private sealed class Asker
    {
        public DateTimeOffset LastSeen { get; set; }

        public HashSet<int> Offered { get; } = [];
    }
}
