using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Discovery;

internal static partial class DiscoveryLog
{
    [LoggerMessage(1, LogLevel.Information, "The tracker does not know {InfoHash}; registering it again")]
    public static partial void Reregistering(this ILogger logger, string infoHash);

    [LoggerMessage(2, LogLevel.Debug, "Announced {Event} for {InfoHash}: {Peers} peers, next within {IntervalSeconds}s")]
    public static partial void Announced(this ILogger logger, string @event, string infoHash, int peers, int intervalSeconds);

    [LoggerMessage(3, LogLevel.Warning, "The tracker listed peer {PeerId} with a bitfield that does not fit {InfoHash}; ignored")]
    public static partial void BadPeerBitfield(this ILogger logger, string peerId, string infoHash);
}
