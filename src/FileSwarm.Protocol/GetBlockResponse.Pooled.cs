using System.Buffers;
using Google.Protobuf;

namespace FileSwarm.Protocol.V1;

/// <summary>
/// A block response may carry its bytes in a buffer rented from <see cref="ArrayPool{T}.Shared"/>
/// (<see cref="Rent"/>): the RPC server disposes a unary response once it is written, which gives the buffer back,
/// so serving a block allocates no array. Such a response must not be used (or cloned) after it is disposed.
/// </summary>
public sealed partial class GetBlockResponse : IDisposable
{
    private byte[]? _pooled;

    /// <summary>A response whose data is <paramref name="length"/> bytes of a pooled buffer, to be filled through <paramref name="data"/>.</summary>
    public static GetBlockResponse Rent(int length, out Memory<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var array = ArrayPool<byte>.Shared.Rent(length);
        data = array.AsMemory(0, length);
        return new GetBlockResponse { Data = UnsafeByteOperations.UnsafeWrap(data), _pooled = array };
    }

    /// <summary>Gives a rented buffer back (once); does nothing for a response built any other way.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _pooled, null) is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
