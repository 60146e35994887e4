using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Client;
using Google.Protobuf.Reflection;

namespace FileSwarm.Protocol;

/// <summary>Calls to the <c>fileswarm.v1.Tracker</c> service.</summary>
public sealed class TrackerClient(RpcChannel channel)
{
    public static readonly ServiceDescriptor Service = TrackerReflection.Descriptor.Services.Single(s => s.Name == "Tracker");

    private static readonly Method<RegisterFileRequest, RegisterFileResponse> RegisterFileMethod = Method.Create<RegisterFileRequest, RegisterFileResponse>(Service, "RegisterFile");
    private static readonly Method<GetFileRequest, GetFileResponse> GetFileMethod = Method.Create<GetFileRequest, GetFileResponse>(Service, "GetFile");
    private static readonly Method<ListFilesRequest, ListFilesResponse> ListFilesMethod = Method.Create<ListFilesRequest, ListFilesResponse>(Service, "ListFiles");
    private static readonly Method<AnnounceRequest, AnnounceResponse> AnnounceMethod = Method.Create<AnnounceRequest, AnnounceResponse>(Service, "Announce");

    public RpcChannel Channel => channel;

    public Task<RegisterFileResponse> RegisterFileAsync(RegisterFileRequest request, CallOptions options = default) =>
        channel.UnaryAsync(RegisterFileMethod, request, options);

    public Task<GetFileResponse> GetFileAsync(GetFileRequest request, CallOptions options = default) =>
        channel.UnaryAsync(GetFileMethod, request, options);

    public Task<ListFilesResponse> ListFilesAsync(ListFilesRequest request, CallOptions options = default) =>
        channel.UnaryAsync(ListFilesMethod, request, options);

    public Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CallOptions options = default) =>
        channel.UnaryAsync(AnnounceMethod, request, options);
}
