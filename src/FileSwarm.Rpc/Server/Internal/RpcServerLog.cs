using Microsoft.Extensions.Logging;

namespace FileSwarm.Rpc.Server.Internal;

internal static partial class RpcServerLog
{
    [LoggerMessage(1, LogLevel.Debug, "Call {Method} starting.")]
    public static partial void CallStarting(this ILogger logger, string method);

    [LoggerMessage(2, LogLevel.Debug, "Call {Method} completed with {Status} in {ElapsedMs:0.###} ms.")]
    public static partial void CallCompleted(this ILogger logger, string method, StatusCode status, double elapsedMs);

    [LoggerMessage(3, LogLevel.Error, "Handler of {Method} threw an exception.")]
    public static partial void HandlerError(this ILogger logger, string method, Exception exception);

    [LoggerMessage(4, LogLevel.Debug, "Call {Method} exceeded its deadline.")]
    public static partial void DeadlineExceeded(this ILogger logger, string method);

    [LoggerMessage(5, LogLevel.Debug, "Call {Method} was cancelled by the client.")]
    public static partial void CallCancelledByClient(this ILogger logger, string method);

    [LoggerMessage(6, LogLevel.Debug, "Call {Method} has an invalid grpc-timeout '{Value}'; running it without a deadline.")]
    public static partial void InvalidTimeout(this ILogger logger, string method, string value);

    [LoggerMessage(7, LogLevel.Debug, "Request for unimplemented {Path}.")]
    public static partial void Unimplemented(this ILogger logger, string path);

    [LoggerMessage(8, LogLevel.Debug, "Request rejected with HTTP {HttpStatus}: {Detail}")]
    public static partial void RequestRejected(this ILogger logger, int httpStatus, string detail);

    [LoggerMessage(9, LogLevel.Debug, "Call {Method} failed after its status was sent.")]
    public static partial void ErrorAfterCompletion(this ILogger logger, string method, Exception exception);

    [LoggerMessage(10, LogLevel.Debug, "The status of {Method} could not be delivered.")]
    public static partial void StatusNotDelivered(this ILogger logger, string method, Exception exception);

    [LoggerMessage(11, LogLevel.Information, "gRPC server listening on {Address}.")]
    public static partial void Listening(this ILogger logger, string address);
}
