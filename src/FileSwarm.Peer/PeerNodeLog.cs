using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer;

internal static partial class PeerNodeLog
{
    [LoggerMessage(1, LogLevel.Information, "Peer {PeerId} started: data in {DataDirectory}, downloads in {DownloadsDirectory}, discovery through {Discovery}")]
    public static partial void Started(this ILogger logger, string peerId, string dataDirectory, string downloadsDirectory, string discovery);

    [LoggerMessage(2, LogLevel.Information, "Peer stopping")]
    public static partial void Stopping(this ILogger logger);

    [LoggerMessage(3, LogLevel.Information, "Peer stopped")]
    public static partial void Stopped(this ILogger logger);
}
