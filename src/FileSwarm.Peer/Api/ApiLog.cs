using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Api;

internal static partial class ApiLog
{
    [LoggerMessage(1, LogLevel.Information, "{Method} {Path} -> {Status} {Code}: {Message}")]
    public static partial void Refused(this ILogger logger, string method, string path, int status, string code, string message);

    [LoggerMessage(2, LogLevel.Error, "{Method} {Path} failed")]
    public static partial void Failed(this ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(3, LogLevel.Debug, "{Method} {Path} -> {Status}")]
    public static partial void Handled(this ILogger logger, string method, string path, int status);
}
