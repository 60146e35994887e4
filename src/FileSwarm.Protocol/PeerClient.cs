using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Client;
using Google.Protobuf.Reflection;

namespace FileSwarm.Protocol;

/// <summary>Calls to the <c>fileswarm.v1.Peer</c> service of another peer.</summary>
public sealed class PeerClient(RpcChannel channel)
{
    public static readonly ServiceDescriptor Service = PeerReflection.Descriptor.Services.Single(s => s.Name == "Peer");

    private static readonly Method<GetBlockRequest, GetBlockResponse> GetBlockMethod = Method.Create<GetBlockRequest, GetBlockResponse>(Service, "GetBlock");
    private static readonly Method<GetBitfieldRequest, GetBitfieldResponse> GetBitfieldMethod = Method.Create<GetBitfieldRequest, GetBitfieldResponse>(Service, "GetBitfield");
    private static readonly Method<GetHandlerRequest, GetHandlerResponse> GetHandlerMethod = Method.Create<GetHandlerRequest, GetHandlerResponse>(Service, "GetHandler");
    private static readonly Method<ListPeerFilesRequest, ListPeerFilesResponse> ListFilesMethod = Method.Create<ListPeerFilesRequest, ListPeerFilesResponse>(Service, "ListFiles");

    public RpcChannel Channel => channel;

    public Task<GetBlockResponse> GetBlockAsync(GetBlockRequest request, CallOptions options = default) =>
        channel.UnaryAsync(GetBlockMethod, request, options);

    /// <summary>
    /// GetBlock with the block's bytes copied from the received message straight into <paramref name="destination"/>,
    /// which should be the requested length. Returns the length of the data the peer sent; the bytes were copied only
    /// when it equals the destination's length.
    /// </summary>
    public Task<int> GetBlockAsync(GetBlockRequest request, Memory<byte> destination, CallOptions options = default) =>
        channel.UnaryAsync(GetBlockMethod, request, payload => BlockData.CopyTo(payload, destination.Span), options);

    public Task<GetBitfieldResponse> GetBitfieldAsync(GetBitfieldRequest request, CallOptions options = default) =>
        channel.UnaryAsync(GetBitfieldMethod, request, options);

    public Task<GetHandlerResponse> GetHandlerAsync(GetHandlerRequest request, CallOptions options = default) =>
        channel.UnaryAsync(GetHandlerMethod, request, options);

    public Task<ListPeerFilesResponse> ListFilesAsync(ListPeerFilesRequest request, CallOptions options = default) =>
        channel.UnaryAsync(ListFilesMethod, request, options);
}
