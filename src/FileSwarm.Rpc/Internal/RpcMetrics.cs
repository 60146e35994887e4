using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FileSwarm.Rpc.Internal;

/// <summary>Counters of the gRPC layer, under the meter <c>FileSwarm.Rpc</c> (read with dotnet-counters or a MeterListener).</summary>
internal static class RpcMetrics
{
    public const string MeterName = "FileSwarm.Rpc";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> ServerStarted = Meter.CreateCounter<long>("rpc.server.calls.started", "{call}");
    private static readonly Counter<long> ServerCompleted = Meter.CreateCounter<long>("rpc.server.calls.completed", "{call}");
    private static readonly Histogram<double> ServerDuration = Meter.CreateHistogram<double>("rpc.server.call.duration", "s");
    private static readonly Counter<long> ServerReceived = Meter.CreateCounter<long>("rpc.server.received.bytes", "By");
    private static readonly Counter<long> ServerSent = Meter.CreateCounter<long>("rpc.server.sent.bytes", "By");
    private static readonly Counter<long> ClientStarted = Meter.CreateCounter<long>("rpc.client.calls.started", "{call}");
    private static readonly Counter<long> ClientCompleted = Meter.CreateCounter<long>("rpc.client.calls.completed", "{call}");
    private static readonly Counter<long> ClientReceived = Meter.CreateCounter<long>("rpc.client.received.bytes", "By");
    private static readonly Counter<long> ClientSent = Meter.CreateCounter<long>("rpc.client.sent.bytes", "By");

    public static void ServerCallStarted(string method) =>
        ServerStarted.Add(1, new KeyValuePair<string, object?>("rpc.method", method));

    public static void ServerCallCompleted(string method, StatusCode code, double seconds)
    {
        var tags = new TagList { { "rpc.method", method }, { "rpc.grpc.status_code", (int)code } };
        ServerCompleted.Add(1, tags);
        ServerDuration.Record(seconds, tags);
    }

    public static void ServerMessageReceived(int bytes) => ServerReceived.Add(bytes);

    public static void ServerMessageSent(int bytes) => ServerSent.Add(bytes);

    public static void ClientCallStarted(string method) =>
        ClientStarted.Add(1, new KeyValuePair<string, object?>("rpc.method", method));

    public static void ClientCallCompleted(string method, StatusCode code) =>
        ClientCompleted.Add(1, new KeyValuePair<string, object?>("rpc.method", method), new KeyValuePair<string, object?>("rpc.grpc.status_code", (int)code));

    public static void ClientMessageReceived(int bytes) => ClientReceived.Add(bytes);

    public static void ClientMessageSent(int bytes) => ClientSent.Add(bytes);
}
