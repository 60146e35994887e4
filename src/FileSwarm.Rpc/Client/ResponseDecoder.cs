using System.Buffers;

namespace FileSwarm.Rpc.Client;

/// <summary>
/// Decodes a response message from its serialized protobuf bytes, which stay valid only during the call (see
/// <see cref="RpcChannel.UnaryAsync{TRequest,TResponse,TResult}(Method{TRequest,TResponse},TRequest,ResponseDecoder{TResult},CallOptions)"/>).
/// </summary>
public delegate TResult ResponseDecoder<out TResult>(ReadOnlySequence<byte> payload);
