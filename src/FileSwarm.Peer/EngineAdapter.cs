using FileSwarm.Peer.Library;
using FileSwarm.Peer.Transfers;
using FileSwarm.Rpc.Client;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer;

/// <summary>Plugs the download engine (<see cref="Download"/> over <see cref="GrpcPeerConnector"/>) into the library.</summary>
internal static class EngineAdapter
{
    public static (DownloadRunFactory Factory, IDisposable Connector) Create(DownloadOptions options, ILoggerFactory loggerFactory, ILogger logger, TimeProvider timeProvider)
    {
        options.Validate();
        var connector = new GrpcPeerConnector(options.RequestTimeout, new RpcChannelOptions { LoggerFactory = loggerFactory, TimeProvider = timeProvider });
        return ((store, swarm, totals) => new EngineRun(new Download(store, swarm, connector, options, logger, timeProvider, totals)), connector);
    }

    private sealed class EngineRun(Download download) : IDownloadRun
    {
        public DownloadProgress Progress => download.Progress;

        public Task RunAsync(CancellationToken cancellationToken) => download.RunAsync(cancellationToken);
    }
}
