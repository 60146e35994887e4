using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Library;

internal static partial class LibraryLog
{
    [LoggerMessage(1, LogLevel.Information, "Sharing {Name} ({InfoHash}) from {Path}")]
    public static partial void Sharing(this ILogger logger, string name, string infoHash, string path);

    [LoggerMessage(2, LogLevel.Information, "Downloading {Name} ({InfoHash}) into {Directory}; {Present}/{Pieces} pieces already present")]
    public static partial void Downloading(this ILogger logger, string name, string infoHash, string directory, int present, int pieces);

    [LoggerMessage(3, LogLevel.Information, "Download of {Name} ({InfoHash}) complete: {Path}")]
    public static partial void DownloadComplete(this ILogger logger, string name, string infoHash, string path);

    [LoggerMessage(4, LogLevel.Warning, "Download of {InfoHash} failed ({Error}); retrying in {RetrySeconds}s")]
    public static partial void DownloadFailed(this ILogger logger, string infoHash, string error, double retrySeconds, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "Removed {Name} ({InfoHash}) from the library")]
    public static partial void Removed(this ILogger logger, string name, string infoHash);

    [LoggerMessage(6, LogLevel.Warning, "Library entry {InfoHash} not restored: {Reason}")]
    public static partial void NotRestored(this ILogger logger, string infoHash, string reason);

    [LoggerMessage(7, LogLevel.Information, "Library restored: {Count} files")]
    public static partial void Restored(this ILogger logger, int count);

    [LoggerMessage(8, LogLevel.Warning, "Announcing {InfoHash} failed: {Error}")]
    public static partial void AnnounceFailed(this ILogger logger, string infoHash, string error);

    [LoggerMessage(9, LogLevel.Information, "Announcing {InfoHash} works again")]
    public static partial void AnnounceRecovered(this ILogger logger, string infoHash);
}
