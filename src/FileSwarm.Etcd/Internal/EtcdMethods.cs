using FileSwarm.Etcd.Protocol;
using FileSwarm.Rpc;

namespace FileSwarm.Etcd.Internal;

/// <summary>etcd's methods, built from the generated descriptors so that a wrong message type fails at start-up.</summary>
internal static class EtcdMethods
{
    private static readonly Google.Protobuf.Reflection.ServiceDescriptor KvService = RpcReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.ServiceDescriptor>("KV");
    private static readonly Google.Protobuf.Reflection.ServiceDescriptor WatchService = RpcReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.ServiceDescriptor>("Watch");
    private static readonly Google.Protobuf.Reflection.ServiceDescriptor LeaseService = RpcReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.ServiceDescriptor>("Lease");

    public static readonly Method<RangeRequest, RangeResponse> Range = Method.Create<RangeRequest, RangeResponse>(KvService, "Range");
    public static readonly Method<PutRequest, PutResponse> Put = Method.Create<PutRequest, PutResponse>(KvService, "Put");
    public static readonly Method<DeleteRangeRequest, DeleteRangeResponse> DeleteRange = Method.Create<DeleteRangeRequest, DeleteRangeResponse>(KvService, "DeleteRange");
    public static readonly Method<TxnRequest, TxnResponse> Txn = Method.Create<TxnRequest, TxnResponse>(KvService, "Txn");
    public static readonly Method<CompactionRequest, CompactionResponse> Compact = Method.Create<CompactionRequest, CompactionResponse>(KvService, "Compact");
    public static readonly Method<WatchRequest, WatchResponse> Watch = Method.Create<WatchRequest, WatchResponse>(WatchService, "Watch");
    public static readonly Method<LeaseGrantRequest, LeaseGrantResponse> LeaseGrant = Method.Create<LeaseGrantRequest, LeaseGrantResponse>(LeaseService, "LeaseGrant");
    public static readonly Method<LeaseRevokeRequest, LeaseRevokeResponse> LeaseRevoke = Method.Create<LeaseRevokeRequest, LeaseRevokeResponse>(LeaseService, "LeaseRevoke");
    public static readonly Method<LeaseKeepAliveRequest, LeaseKeepAliveResponse> LeaseKeepAlive = Method.Create<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(LeaseService, "LeaseKeepAlive");
    public static readonly Method<LeaseTimeToLiveRequest, LeaseTimeToLiveResponse> LeaseTimeToLive = Method.Create<LeaseTimeToLiveRequest, LeaseTimeToLiveResponse>(LeaseService, "LeaseTimeToLive");
}
