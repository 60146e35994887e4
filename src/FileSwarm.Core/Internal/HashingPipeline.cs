using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FileSwarm.Core.Internal;

/// <summary>
/// One streaming pass over content that yields piece SHA-1s and the whole-content SHA-1 together; every byte is
/// read once, with large positional reads of whole pieces into pooled chunk buffers. The whole-content SHA-1 is
/// inherently sequential, so one thread reads in order and computes it while the other threads hash the pieces
/// of the same buffers; without it, every thread reads and hashes chunks of its own. Buffers come from a small
/// fixed pool, so memory is bounded, and nothing is allocated per piece: digests go straight into the result.
/// </summary>
internal sealed class HashingPipeline
{
    private readonly ContentFileSet _content;
    private readonly int _pieceLength;
    private readonly int _chunkSize;
    private readonly int _pieceThreads;
    private readonly bool _contentSha1;
    private readonly IProgress<long>? _progress;
    private readonly byte[] _pieceHashes;
    private readonly Lock _progressLock = new();
    private long _bytesDone;

    public HashingPipeline(ContentFileSet content, int pieceLength, int chunkSize, int pieceThreads, bool contentSha1, IProgress<long>? progress)
    {
        _content = content;
        _pieceLength = pieceLength;
        _chunkSize = (int)Math.Min(Math.Max(pieceLength, (long)chunkSize / pieceLength * pieceLength), Array.MaxLength / pieceLength * (long)pieceLength);
        _pieceThreads = Math.Max(1, pieceThreads);
        _contentSha1 = contentSha1;
        _progress = progress;
        var pieceCount = Metainfo.PieceLengths.PieceCount(content.TotalLength, pieceLength);
        _pieceHashes = new byte[pieceCount * Sha1Hash.Size];
    }

    public (byte[] PieceHashes, Sha1Hash? ContentSha1) Run(CancellationToken cancellationToken)
    {
        var result = _content.TotalLength <= 2L * _chunkSize
            ? RunSequential(cancellationToken)
            : RunParallel(cancellationToken);
        _content.CheckLengthsUnchanged();
        return (_pieceHashes, result);
    }

    private Sha1Hash? RunSequential(CancellationToken cancellationToken)
    {
        // Whole pieces per read, and no bigger than the content rounded up to a piece.
        var pieces = Math.Max(1, Metainfo.PieceLengths.PieceCount(_content.TotalLength, _pieceLength));
        var capacity = (int)Math.Min(_chunkSize, pieces * _pieceLength);
        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        try
        {
            var chunk = new Chunk(buffer);
            for (long offset = 0; offset < _content.TotalLength; offset += chunk.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                chunk.Offset = offset;
                chunk.Length = (int)Math.Min(capacity, _content.TotalLength - offset);
                _content.Read(offset, chunk.Data);
                if (_contentSha1)
                {
                    whole.AppendData(chunk.Data);
                }

                HashPieces(chunk);
                ReportProgress(chunk.Length);
            }

            return _contentSha1 ? new Sha1Hash(whole.GetHashAndReset()) : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Sha1Hash? RunParallel(CancellationToken cancellationToken)
    {
        using var workers = new WorkerGroup(cancellationToken);
        Sha1Hash? wholeHash = null;
        if (_contentSha1)
        {
            wholeHash = RunSequenced(workers);
        }
        else
        {
            RunIndependent(workers);
        }

        workers.ThrowIfFailed(cancellationToken);
        return wholeHash;
    }

    /// <summary>
    /// Without the whole-content hash, chunks are independent: each worker claims the next chunk, reads it and
    /// hashes its pieces. No hand-offs, and every byte is still read exactly once.
    /// </summary>
    private void RunIndependent(WorkerGroup workers)
    {
        var chunkCount = (_content.TotalLength + _chunkSize - 1) / _chunkSize;
        long next = -1;
        workers.Run(_pieceThreads, "fileswarm-hash-pieces", token =>
        {
            var chunk = new Chunk(ArrayPool<byte>.Shared.Rent(_chunkSize));
            try
            {
                for (var index = Interlocked.Increment(ref next); index < chunkCount; index = Interlocked.Increment(ref next))
                {
                    token.ThrowIfCancellationRequested();
                    chunk.Offset = index * _chunkSize;
                    chunk.Length = (int)Math.Min(_chunkSize, _content.TotalLength - chunk.Offset);
                    _content.Read(chunk.Offset, chunk.Data);
                    HashPieces(chunk);
                    ReportProgress(chunk.Length);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }
        });
        workers.Join();
    }

    /// <summary>
    /// With the whole-content hash, this thread reads the chunks in order and feeds that sequential hash, while
    /// the workers hash the pieces of the same buffers. A chunk goes back to the small fixed pool when both are done.
    /// </summary>
    private Sha1Hash? RunSequenced(WorkerGroup workers)
    {
        var token = workers.Token;
        var chunkCount = _pieceThreads + 3;
        using var free = new BlockingCollection<Chunk>(new ConcurrentQueue<Chunk>(), chunkCount);
        using var forPieces = new BlockingCollection<Chunk>(new ConcurrentQueue<Chunk>(), chunkCount);
        var chunks = new Chunk[chunkCount];
        for (var i = 0; i < chunkCount; i++)
        {
            chunks[i] = new Chunk(ArrayPool<byte>.Shared.Rent(_chunkSize));
            free.Add(chunks[i], CancellationToken.None);
        }

        void Release(Chunk chunk)
        {
            if (Interlocked.Decrement(ref chunk.Pending) == 0)
            {
                ReportProgress(chunk.Length);
                free.Add(chunk, CancellationToken.None);
            }
        }

        workers.Run(_pieceThreads, "fileswarm-hash-pieces", workerToken =>
        {
            foreach (var chunk in forPieces.GetConsumingEnumerable(workerToken))
            {
                HashPieces(chunk);
                Release(chunk);
            }
        });

        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        workers.Guard(() =>
        {
            try
            {
                for (long offset = 0; offset < _content.TotalLength;)
                {
                    var chunk = free.Take(token);
                    chunk.Offset = offset;
                    chunk.Length = (int)Math.Min(_chunkSize, _content.TotalLength - offset);
                    chunk.Pending = 2;
                    _content.Read(offset, chunk.Data);
                    offset += chunk.Length;
                    forPieces.Add(chunk, token);
                    whole.AppendData(chunk.Data);
                    Release(chunk);
                }
            }
            finally
            {
                forPieces.CompleteAdding();
            }
        });
        workers.Join();
        foreach (var chunk in chunks)
        {
            ArrayPool<byte>.Shared.Return(chunk.Buffer);
        }

        return new Sha1Hash(whole.GetHashAndReset());
    }

    private void HashPieces(Chunk chunk)
    {
        var data = chunk.Data;
        var piece = (int)(chunk.Offset / _pieceLength);
        for (var start = 0; start < data.Length; start += _pieceLength, piece++)
        {
            var size = Math.Min(_pieceLength, data.Length - start);
            SHA1.HashData(data.Slice(start, size), _pieceHashes.AsSpan(piece * Sha1Hash.Size, Sha1Hash.Size));
        }
    }

    private void ReportProgress(int bytes)
    {
        if (_progress is null)
        {
            return;
        }

        // Under a lock so reports never go backwards when chunks finish out of order.
        lock (_progressLock)
        {
            _bytesDone += bytes;
            _progress.Report(_bytesDone);
        }
    }

    /// <summary>Dedicated threads that share one cancellation: the first failure cancels the rest and is rethrown.</summary>
    private sealed class WorkerGroup(CancellationToken cancellationToken) : IDisposable
    {
        private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        private readonly List<Thread> _threads = [];
        private Exception? _firstError;

        public CancellationToken Token => _cancel.Token;

        public void Run(int count, string name, Action<CancellationToken> body)
        {
            for (var i = 0; i < count; i++)
            {
                var thread = new Thread(() => Guard(() => body(Token))) { Name = name, IsBackground = true };
                _threads.Add(thread);
                thread.Start();
            }
        }

        /// <summary>Runs <paramref name="body"/>, recording a failure instead of throwing it.</summary>
        public void Guard(Action body)
        {
            try
            {
                body();
            }
            catch (OperationCanceledException) when (Token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _firstError, e, null);
                _cancel.Cancel();
            }
        }

        public void Join()
        {
            foreach (var thread in _threads)
            {
                thread.Join();
            }
        }

        public void ThrowIfFailed(CancellationToken cancellationToken)
        {
            if (_firstError is not null)
            {
                throw _firstError is IOException or UnauthorizedAccessException
                    ? _firstError
                    : new InvalidOperationException("hashing failed", _firstError);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        public void Dispose() => _cancel.Dispose();
    }

    private sealed class Chunk(byte[] buffer)
    {
        public readonly byte[] Buffer = buffer;
        public long Offset;
        public int Length;
        public int Pending;

        public Span<byte> Data => Buffer.AsSpan(0, Length);
    }
}
