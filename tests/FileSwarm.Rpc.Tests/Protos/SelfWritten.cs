using Google.Protobuf;

namespace FileSwarm.Rpc.Tests.Protos;

/// <summary>
/// A response that produces its serialized form when the server sends it: a message whose body is
/// <see cref="Produced"/>, or <see cref="Failure"/> thrown. Built this way its own <see cref="Body"/> stays empty, so
/// what reaches the client can only have come through <see cref="ISelfSerializingMessage"/>.
/// </summary>
public sealed partial class SelfWritten : ISelfSerializingMessage
{
    private int _writes;

    public byte[] Produced { get; init; } = [];

    public Exception? Failure { get; init; }

    public int Writes => Volatile.Read(ref _writes);

    int ISelfSerializingMessage.SerializedSize => Written.CalculateSize();

    private SelfWritten Written => new() { Body = ByteString.CopyFrom(Produced) };

    void ISelfSerializingMessage.WriteTo(Span<byte> destination)
    {
        Interlocked.Increment(ref _writes);
        if (Failure is not null)
        {
            throw Failure;
        }

        Written.WriteTo(destination);
    }
}
