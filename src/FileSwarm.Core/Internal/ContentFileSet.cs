using Microsoft.Win32.SafeHandles;

namespace FileSwarm.Core.Internal;

/// <summary>
/// A handler's content as a run of open files laid end to end. Positional reads and writes at content offsets are
/// split across file boundaries; no shared file position, so calls may run concurrently on distinct ranges.
/// Files opened for writing may also have a direct handle (<see cref="DirectIo"/>): the aligned part of each write
/// goes through it, bypassing the page cache, and the unaligned edges through the buffered handle.
/// </summary>
internal sealed class ContentFileSet : IDisposable
{
    private readonly SafeFileHandle[] _handles;
    private readonly long[] _offsets;
    private readonly long[] _lengths;
    private readonly string[] _paths;
    private readonly SafeFileHandle?[] _direct;
    private readonly bool[] _directFailed;

    /// <param name="lengths">Expected file lengths; null to take each file's current length.</param>
    /// <param name="openDirect">Opens a file's direct-write handle once it is open; null, or null for a file, when not wanted.</param>
    public ContentFileSet(IReadOnlyList<string> paths, IReadOnlyList<long>? lengths, Func<int, string, SafeFileHandle> open, Func<int, string, SafeFileHandle?>? openDirect = null)
    {
        _paths = [.. paths];
        _lengths = new long[_paths.Length];
        _offsets = new long[_paths.Length];
        _handles = new SafeFileHandle[_paths.Length];
        _direct = new SafeFileHandle?[_paths.Length];
        _directFailed = new bool[_paths.Length];
        long offset = 0;
        try
        {
            for (var i = 0; i < _paths.Length; i++)
            {
                _handles[i] = open(i, _paths[i]);
                _direct[i] = openDirect?.Invoke(i, _paths[i]);
                _offsets[i] = offset;
                _lengths[i] = lengths?[i] ?? RandomAccess.GetLength(_handles[i]);
                offset += _lengths[i];
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        TotalLength = offset;
    }

    public IReadOnlyList<long> Lengths => _lengths;

    public long TotalLength { get; }

    public IReadOnlyList<string> Paths => _paths;

    /// <summary>Whether file <paramref name="index"/> takes direct writes (opened with a direct handle that has not failed).</summary>
    public bool WritesDirectly(int index) => _direct[index] is not null && !Volatile.Read(ref _directFailed[index]);

    /// <summary>Fills <paramref name="destination"/> from content offset <paramref name="offset"/>.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        CheckRange(offset, destination.Length);
        var file = FindFile(offset);
        while (!destination.IsEmpty)
        {
            var inFile = offset - _offsets[file];
            var count = (int)Math.Min(destination.Length, _lengths[file] - inFile);
            var part = destination[..count];
            while (!part.IsEmpty)
            {
                var n = RandomAccess.Read(_handles[file], part, inFile);
                if (n == 0)
                {
                    throw new IOException($"{_paths[file]} is shorter than expected ({_lengths[file]} bytes); it changed on disk");
                }

                part = part[n..];
                inFile += n;
            }

            destination = destination[count..];
            offset += count;
            file++;
        }
    }

    /// <summary>Writes <paramref name="source"/> at content offset <paramref name="offset"/>.</summary>
    public void Write(long offset, ReadOnlySpan<byte> source)
    {
        CheckRange(offset, source.Length);
        var file = FindFile(offset);
        while (!source.IsEmpty)
        {
            var inFile = offset - _offsets[file];
            var count = (int)Math.Min(source.Length, _lengths[file] - inFile);
            if (WritesDirectly(file))
            {
                WriteAligned(file, source[..count], inFile);
            }
            else
            {
                RandomAccess.Write(_handles[file], source[..count], inFile);
            }

            source = source[count..];
            offset += count;
            file++;
        }
    }

    /// <summary>Throws <see cref="IOException"/> when a file's size is no longer what it was when opened.</summary>
    public void CheckLengthsUnchanged()
    {
        for (var i = 0; i < _handles.Length; i++)
        {
            if (RandomAccess.GetLength(_handles[i]) != _lengths[i])
            {
                throw new IOException($"{_paths[i]} changed size while it was being read");
            }
        }
    }

    public void Flush()
    {
        foreach (var handle in _handles)
        {
            RandomAccess.FlushToDisk(handle);
        }
    }

    public void Dispose()
    {
        foreach (var handle in _handles)
        {
            handle?.Dispose();
        }

        foreach (var handle in _direct)
        {
            handle?.Dispose();
        }
    }

    /// <summary>
    /// The aligned middle of <paramref name="data"/> through the direct handle, its edges through the buffered one. A
    /// direct write the file system refuses turns direct writes off for that file and is redone buffered. The data is
    /// pinned from the alignment check to the last write, so the garbage collector cannot move it in between.
    /// </summary>
    private unsafe void WriteAligned(int file, ReadOnlySpan<byte> data, long inFile)
    {
        fixed (byte* pinned = data)
        {
            var head = (int)((DirectIo.Alignment - (inFile % DirectIo.Alignment)) % DirectIo.Alignment);
            if (head != DirectIo.BytesToAlignedAddress(data) || data.Length - head < DirectIo.Alignment)
            {
                // The file offset and the memory address cannot both be aligned, or nothing aligned is left.
                RandomAccess.Write(_handles[file], data, inFile);
                return;
            }

            var middle = (data.Length - head) / DirectIo.Alignment * DirectIo.Alignment;
            if (head > 0)
            {
                RandomAccess.Write(_handles[file], data[..head], inFile);
            }

            try
            {
                RandomAccess.Write(_direct[file]!, data.Slice(head, middle), inFile + head);
            }
            catch (IOException)
            {
                Volatile.Write(ref _directFailed[file], true);
                RandomAccess.Write(_handles[file], data.Slice(head, middle), inFile + head);
            }

            if (head + middle < data.Length)
            {
                RandomAccess.Write(_handles[file], data[(head + middle)..], inFile + head + middle);
            }
        }
    }

    /// <summary>The file holding content byte <paramref name="offset"/>.</summary>
    private int FindFile(long offset)
    {
        int lo = 0, hi = _offsets.Length - 1;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) >> 1);
            if (_offsets[mid] <= offset)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        // Empty files share their offset with the next file; taking the last file that starts at or before the
        // offset skips them.
        return lo;
    }

    private void CheckRange(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > TotalLength - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"range of {length} bytes at {offset} is outside the content (0..{TotalLength})");
        }
    }
}
