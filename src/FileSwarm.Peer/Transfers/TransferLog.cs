using FileSwarm.Core;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Transfers;

/// <summary>The download engine's log messages.</summary>
internal static partial class TransferLog
{
    [LoggerMessage(1, LogLevel.Information, "Download of {InfoHash} started: {Missing} of {PieceCount} pieces to fetch")]
    public static partial void DownloadStarted(ILogger logger, Sha1Hash infoHash, int missing, int pieceCount);

    [LoggerMessage(2, LogLevel.Information, "Download of {InfoHash} complete: {Bytes} bytes received from {Peers} peers")]
    public static partial void DownloadCompleted(ILogger logger, Sha1Hash infoHash, long bytes, int peers);

    [LoggerMessage(3, LogLevel.Information, "Peer {PeerId} ({Address}) gave {InfoHash}: {Bytes} bytes, {Pieces} pieces, {Strikes} strikes{DroppedNote}")]
    public static partial void PeerSummary(ILogger logger, Sha1Hash infoHash, string peerId, string address, long bytes, int pieces, int strikes, string droppedNote);

    [LoggerMessage(4, LogLevel.Debug, "Connecting to peer {PeerId} ({Address})")]
    public static partial void PeerConnecting(ILogger logger, string peerId, string address);

    [LoggerMessage(5, LogLevel.Warning, "Peer {PeerId} failed ({Failures} in a row); retrying in {Delay}")]
    public static partial void PeerFailed(ILogger logger, string peerId, int failures, TimeSpan delay, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Peer {PeerId} dropped for {InfoHash}: {Reason}")]
    public static partial void PeerDropped(ILogger logger, string peerId, Sha1Hash infoHash, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Piece {Piece} failed its SHA-1 check; strike {Strikes} of {MaxStrikes} against peer {PeerId}")]
    public static partial void BadPieceStrike(ILogger logger, int piece, string peerId, int strikes, int maxStrikes);

    [LoggerMessage(8, LogLevel.Warning, "Piece {Piece} failed its SHA-1 check with blocks from {Suppliers} peers; it is fetched again from one peer to find the culprit")]
    public static partial void BadPieceMixed(ILogger logger, int piece, int suppliers);

    [LoggerMessage(9, LogLevel.Warning, "Peer {PeerId} broke the protocol: {Reason}")]
    public static partial void ProtocolViolation(ILogger logger, string peerId, string reason);

    [LoggerMessage(10, LogLevel.Debug, "Peer {PeerId} lacks piece {Piece} (stale bitfield); refreshing it")]
    public static partial void StaleBitfield(ILogger logger, string peerId, int piece);

    [LoggerMessage(11, LogLevel.Debug, "Peer {PeerId} is busy; pausing it for {Delay}")]
    public static partial void PeerBusy(ILogger logger, string peerId, TimeSpan delay);

    [LoggerMessage(12, LogLevel.Warning, "Announce ({Event}) of {InfoHash} failed ({Failures} in a row); retrying in {Delay}")]
    public static partial void AnnounceFailed(ILogger logger, SwarmEvent @event, Sha1Hash infoHash, int failures, TimeSpan delay, Exception exception);

    [LoggerMessage(13, LogLevel.Debug, "Announced {Event} of {InfoHash} with {Pieces} pieces; {Peers} peers returned")]
    public static partial void Announced(ILogger logger, SwarmEvent @event, Sha1Hash infoHash, int pieces, int peers);

    [LoggerMessage(14, LogLevel.Debug, "Endgame for {InfoHash}: {Missing} pieces left, outstanding blocks go to several peers")]
    public static partial void EndgameStarted(ILogger logger, Sha1Hash infoHash, int missing);

    [LoggerMessage(15, LogLevel.Warning, "Download of {InfoHash} failed")]
    public static partial void DownloadFailed(ILogger logger, Sha1Hash infoHash, Exception exception);

    [LoggerMessage(16, LogLevel.Information, "Download of {InfoHash} stopped with {Pieces} of {PieceCount} pieces verified")]
    public static partial void DownloadStopped(ILogger logger, Sha1Hash infoHash, int pieces, int pieceCount);
}
