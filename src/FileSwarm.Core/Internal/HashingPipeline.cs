using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FileSwarm.Core.Internal;

/// <summary>
/// One streaming pass over content that yields piece SHA-1s and the whole-content SHA-1 together.
/// A reader thread fills chunk buffers (whole pieces each) with large positional reads; the whole-content SHA-1,
/// which is inherently sequential, runs on its own thread in content order, while piece hashing of any chunk runs
/// on the remaining threads. Chunks are recycled through a small fixed pool, so memory is bounded and nothing is
/// allocated per piece: piece digests go straight into the result array.
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
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = failed.Token;
        var chunkCount = _pieceThreads + 3;
        using var free = new BlockingCollection<Chunk>(new ConcurrentQueue<Chunk>(), chunkCount);
        using var forPieces = new BlockingCollection<Chunk>(new ConcurrentQueue<Chunk>(), chunkCount);
        using var forWhole = new BlockingCollection<Chunk>(new ConcurrentQueue<Chunk>(), chunkCount);
        var chunks = new Chunk[chunkCount];
        for (var i = 0; i < chunkCount; i++)
        {
            chunks[i] = new Chunk(ArrayPool<byte>.Shared.Rent(_chunkSize));
            free.Add(chunks[i], CancellationToken.None);
        }

        Sha1Hash? wholeHash = null;
        Exception? firstError = null;
        void Fail(Exception e)
        {
            Interlocked.CompareExchange(ref firstError, e, null);
            failed.Cancel();
        }

        void Release(Chunk chunk)
        {
            if (Interlocked.Decrement(ref chunk.Pending) == 0)
            {
                ReportProgress(chunk.Length);
                free.Add(chunk, CancellationToken.None);
            }
        }

        var threads = new List<Thread>
        {
            new(() =>
            {
                try
                {
                    for (long offset = 0; offset < _content.TotalLength;)
                    {
                        var chunk = free.Take(token);
                        chunk.Offset = offset;
                        chunk.Length = (int)Math.Min(_chunkSize, _content.TotalLength - offset);
                        chunk.Pending = _contentSha1 ? 2 : 1;
                        _content.Read(offset, chunk.Data);
                        offset += chunk.Length;
                        forPieces.Add(chunk, token);
                        if (_contentSha1)
                        {
                            forWhole.Add(chunk, token);
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    Fail(e);
                }
                catch (OperationCanceledException)
                {
                }
                finally
                {
                    forPieces.CompleteAdding();
                    forWhole.CompleteAdding();
                }
            }) { Name = "fileswarm-hash-read" },
        };

        if (_contentSha1)
        {
            threads.Add(new Thread(() => Guard(() =>
            {
                using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
                foreach (var chunk in forWhole.GetConsumingEnumerable(token))
                {
                    whole.AppendData(chunk.Data);
                    Release(chunk);
                }

                wholeHash = new Sha1Hash(whole.GetHashAndReset());
            })) { Name = "fileswarm-hash-whole" });
        }

        for (var i = 0; i < _pieceThreads; i++)
        {
            threads.Add(new Thread(() => Guard(() =>
            {
                foreach (var chunk in forPieces.GetConsumingEnumerable(token))
                {
                    HashPieces(chunk);
                    Release(chunk);
                }
            })) { Name = "fileswarm-hash-pieces" });
        }

        void Guard(Action body)
        {
            try
            {
                body();
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }

        foreach (var thread in threads)
        {
            thread.IsBackground = true;
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        foreach (var chunk in chunks)
        {
            ArrayPool<byte>.Shared.Return(chunk.Buffer);
        }

        if (firstError is not null)
        {
            throw firstError is IOException or UnauthorizedAccessException
                ? firstError
                : new InvalidOperationException("hashing failed", firstError);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return wholeHash;
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

    private sealed class Chunk(byte[] buffer)
    {
        public readonly byte[] Buffer = buffer;
        public long Offset;
        public int Length;
        public int Pending;

        public Span<byte> Data => Buffer.AsSpan(0, Length);
    }
}
