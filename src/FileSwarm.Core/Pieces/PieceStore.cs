using System.Buffers;
using FileSwarm.Core.Metainfo;

namespace FileSwarm.Core.Pieces;

/// <summary>
/// Shared bookkeeping for piece stores: block bounds, the bitfield, verification and completion. Subclasses only
/// move bytes at content offsets and finalise the content when complete.
/// </summary>
public abstract class PieceStore : IPieceStore
{
    private readonly Lock _sync = new();
    private readonly Bitfield _present;
    private bool _finalised;

    protected PieceStore(TorrentMetainfo metainfo)
    {
        ArgumentNullException.ThrowIfNull(metainfo);
        Metainfo = metainfo;
        _present = new Bitfield(metainfo.PieceCount);
    }

    public TorrentMetainfo Metainfo { get; }

    public bool IsComplete
    {
        get
        {
            lock (_sync)
            {
                return _present.IsComplete;
            }
        }
    }

    protected bool IsDisposed { get; private set; }

    public Bitfield GetBitfield()
    {
        lock (_sync)
        {
            return _present.Clone();
        }
    }

    public bool HasPiece(int piece)
    {
        lock (_sync)
        {
            return _present[piece];
        }
    }

    public void ReadBlock(int piece, int offset, Span<byte> destination)
    {
        var position = CheckBlock(piece, offset, destination.Length);
        if (!HasPiece(piece))
        {
            throw new InvalidOperationException($"piece {piece} is not present");
        }

        ReadContent(position, destination);
    }

    public void WriteBlock(int piece, int offset, ReadOnlySpan<byte> data)
    {
        var position = CheckBlock(piece, offset, data.Length);
        if (HasPiece(piece))
        {
            throw new InvalidOperationException($"piece {piece} is already present and verified");
        }

        WriteContent(position, data);
    }

    public bool WritePiece(int piece, ReadOnlySpan<byte> data)
    {
        var position = CheckBlock(piece, 0, data.Length);
        var size = Metainfo.GetPieceSize(piece);
        if (data.Length != size)
        {
            throw new ArgumentException($"piece {piece} is {size} bytes, not {data.Length}", nameof(data));
        }

        if (HasPiece(piece))
        {
            throw new InvalidOperationException($"piece {piece} is already present and verified");
        }

        if (!Metainfo.VerifyPiece(piece, data))
        {
            return false;
        }

        WriteContent(position, data);
        Record(piece, present: true);
        return true;
    }

    public bool VerifyPiece(int piece)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var size = Metainfo.GetPieceSize(piece);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var data = buffer.AsSpan(0, size);
            ReadContent(Metainfo.GetPieceOffset(piece), data);
            var ok = Metainfo.VerifyPiece(piece, data);
            Record(piece, present: ok);
            return ok;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public int VerifyAll(IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        for (var piece = 0; piece < Metainfo.PieceCount; piece++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            VerifyPiece(piece);
            progress?.Report(piece + 1);
        }

        FinaliseIfComplete();
        lock (_sync)
        {
            return _present.CountSet;
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Marks every piece present without reading; for content known to be complete (e.g. just hashed).</summary>
    protected void MarkAllPresent()
    {
        lock (_sync)
        {
            _present.SetAll(true);
            _finalised = true;
        }
    }

    /// <summary>Runs <see cref="Finalise"/> once when every piece is present (also for empty content).</summary>
    protected void FinaliseIfComplete()
    {
        lock (_sync)
        {
            if (_finalised || !_present.IsComplete)
            {
                return;
            }

            Finalise();
            _finalised = true;
        }
    }

    /// <summary>Reads <paramref name="destination"/>.Length bytes at content offset <paramref name="offset"/>.</summary>
    protected abstract void ReadContent(long offset, Span<byte> destination);

    /// <summary>Writes <paramref name="data"/> at content offset <paramref name="offset"/>.</summary>
    protected abstract void WriteContent(long offset, ReadOnlySpan<byte> data);

    /// <summary>Called once, under the store's lock, when every piece has been verified.</summary>
    protected abstract void Finalise();

    protected virtual void Dispose(bool disposing) => IsDisposed = true;

    private void Record(int piece, bool present)
    {
        lock (_sync)
        {
            _present[piece] = present;
            if (present && _present.IsComplete && !_finalised)
            {
                Finalise();
                _finalised = true;
            }
        }
    }

    private long CheckBlock(int piece, int offset, int length)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var size = Metainfo.GetPieceSize(piece);
        if (offset < 0 || length < 0 || offset > size - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"block of {length} bytes at {offset} does not fit in piece {piece} of {size} bytes");
        }

        return Metainfo.GetPieceOffset(piece) + offset;
    }
}
