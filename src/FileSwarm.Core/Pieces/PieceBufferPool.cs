using FileSwarm.Core.Internal;

namespace FileSwarm.Core.Pieces;

/// <summary>
/// Buffers for assembling whole pieces in memory before <see cref="IPieceStore.WritePiece"/>: the piece is hashed
/// from memory and written once, instead of written block by block and read back for its SHA-1. Buffers are reused
/// and bounded by a byte budget; when it is spent, <see cref="TryRent"/> returns null and the caller writes blocks to
/// the store instead. Each buffer starts at a page-aligned address (direct writes need one) on the pinned object
/// heap, so it never moves and an abandoned pool is reclaimed by the GC. Safe for concurrent use.
/// </summary>
public sealed class PieceBufferPool
{
    private readonly Lock _sync = new();
    private readonly Stack<PieceBuffer> _free = new();
    private readonly int _maxBuffers;
    private int _allocated;

    /// <param name="bufferLength">The largest piece a buffer holds (the handler's piece length).</param>
    /// <param name="budgetBytes">Memory the pool may hold at most; below <paramref name="bufferLength"/> it holds nothing.</param>
    public PieceBufferPool(int bufferLength, long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferLength);
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        BufferLength = bufferLength;
        _maxBuffers = (int)Math.Min(budgetBytes / bufferLength, int.MaxValue);
    }

    public int BufferLength { get; }

    /// <summary>Buffers that exist (rented or free); at most the budget divided by <see cref="BufferLength"/>.</summary>
    public int Allocated
    {
        get
        {
            lock (_sync)
            {
                return _allocated;
            }
        }
    }

    /// <summary>Buffers rented and not yet returned.</summary>
    public int Rented
    {
        get
        {
            lock (_sync)
            {
                return _allocated - _free.Count;
            }
        }
    }

    /// <summary>A buffer of <paramref name="length"/> bytes (its content is undefined), or null when the budget is spent.</summary>
    public PieceBuffer? TryRent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, BufferLength);
        PieceBuffer? buffer;
        lock (_sync)
        {
            if (!_free.TryPop(out buffer))
            {
                if (_allocated == _maxBuffers)
                {
                    return null;
                }

                _allocated++;
            }
        }

        buffer ??= new PieceBuffer(this, GC.AllocateUninitializedArray<byte>(BufferLength + DirectIo.Alignment, pinned: true));
        buffer.Rent(length);
        return buffer;
    }

    internal void Return(PieceBuffer buffer)
    {
        lock (_sync)
        {
            _free.Push(buffer);
        }
    }
}

/// <summary>A rented piece buffer; <see cref="Dispose"/> gives it back to its pool (once; later calls do nothing).</summary>
public sealed class PieceBuffer : IDisposable
{
    private readonly PieceBufferPool _pool;
    private readonly byte[] _array;
    private readonly int _start;
    private int _length;
    private int _rented;

    internal PieceBuffer(PieceBufferPool pool, byte[] array)
    {
        _pool = pool;
        _array = array;
        _start = DirectIo.BytesToAlignedAddress(array);
    }

    /// <summary>The piece's bytes; the address of the first is a multiple of 4096.</summary>
    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _rented) == 0, this);
            return _array.AsSpan(_start, _length);
        }
    }

    public int Length => _length;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, 0) == 1)
        {
            _pool.Return(this);
        }
    }

    internal void Rent(int length)
    {
        _length = length;
        Volatile.Write(ref _rented, 1);
    }
}
