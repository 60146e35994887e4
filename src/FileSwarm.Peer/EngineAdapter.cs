using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Library;
using FileSwarm.Peer.Transfers;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer;

/// <summary>Plugs the download engine (<see cref="Transfers"/>) into the library.</summary>
internal static class EngineAdapter
{
    public static (DownloadRunFactory Factory, IAsyncDisposable? Connector) Create(DownloadOptions options, ILoggerFactory loggerFactory, ILogger logger, TimeProvider timeProvider)
    {
        _ = loggerFactory;
        _ = logger;
        _ = timeProvider;
        _ = options;
        return ((store, swarm) => new PendingRun(store), null);
    }

    /// <summary>Until the engine lands.</summary>
    private sealed class PendingRun(IPieceStore store) : IDownloadRun
    {
        public DownloadProgress Progress => new(DownloadState.Starting, 0, store.Metainfo.TotalLength, 0, store.Metainfo.PieceCount, 0, 0, null, [], null);

        public Task RunAsync(CancellationToken cancellationToken) => throw new NotSupportedException("the download engine is not built in yet");
    }
}
