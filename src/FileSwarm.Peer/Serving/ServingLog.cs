using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Serving;

internal static partial class ServingLog
{
    [LoggerMessage(1, LogLevel.Debug, "Served piece {Piece} [{Offset}+{Length}] of {InfoHash} to {Remote}")]
    public static partial void Served(this ILogger logger, int piece, int offset, int length, string infoHash, string remote);

    [LoggerMessage(2, LogLevel.Debug, "Refused {Method} from {Remote}: {Status}")]
    public static partial void Refused(this ILogger logger, string method, string remote, string status);
}
