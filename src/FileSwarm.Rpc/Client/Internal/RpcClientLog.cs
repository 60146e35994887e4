using Microsoft.Extensions.Logging;

namespace FileSwarm.Rpc.Client.Internal;

internal static partial class RpcClientLog
{
    [LoggerMessage(1, LogLevel.Debug, "Starting call {Method} to {Address}.")]
    public static partial void CallStarting(this ILogger logger, string method, Uri address);

    [LoggerMessage(2, LogLevel.Debug, "Call {Method} finished with {Status}.")]
    public static partial void CallFinished(this ILogger logger, string method, Status status);

    [LoggerMessage(3, LogLevel.Debug, "Call {Method} failed in the transport.")]
    public static partial void TransportError(this ILogger logger, string method, Exception exception);
}
