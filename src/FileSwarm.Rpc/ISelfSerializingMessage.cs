namespace FileSwarm.Rpc;

/// <summary>
/// A message that produces its own serialized bytes when it is sent, straight into the transport's buffer: for a
/// message whose payload would otherwise be read into a buffer of its own and then copied (a block read from disk).
/// The sender asks for <see cref="SerializedSize"/> once, then calls <see cref="WriteTo"/> with a span of exactly
/// that many bytes. An exception from <see cref="WriteTo"/> fails the call before any byte of the message is sent;
/// on a server, an <see cref="RpcException"/> ends the call with its status.
/// </summary>
public interface ISelfSerializingMessage
{
    /// <summary>The message's size in the protobuf wire format.</summary>
    int SerializedSize { get; }

    /// <summary>Writes the message in the protobuf wire format, filling <paramref name="destination"/> exactly.</summary>
    void WriteTo(Span<byte> destination);
}
