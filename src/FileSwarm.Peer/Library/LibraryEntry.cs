using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Transfers;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;

namespace FileSwarm.Peer.Library;

/// <summary>One file of the library: its handler, where its content lives, and its download when one runs.</summary>
public sealed class LibraryEntry
{
    internal LibraryEntry(TorrentMetainfo metainfo, LibraryRole role, string contentDirectory, FilePieceStore store, ISwarm swarm)
    {
        Metainfo = metainfo;
        Role = role;
        ContentDirectory = contentDirectory;
        Store = store;
        Swarm = swarm;
        Info = metainfo.ToSharedFileInfo();
    }

    public TorrentMetainfo Metainfo { get; }

    public LibraryRole Role { get; }

    public string ContentDirectory { get; }

    /// <summary>The content; only verified pieces are ever read from it for others.</summary>
    public IPieceStore Store { get; }

    /// <summary>Where the content is (final names; <c>.part</c> while incomplete).</summary>
    public IReadOnlyList<string> ContentPaths => ((FilePieceStore)Store).FinalPaths;

    public ISwarm Swarm { get; }

    public SharedFileInfo Info { get; }

    /// <summary>The download, for files fetched by this peer since it started; null for shared files.</summary>
    public DownloadJob? Download { get; internal set; }

    /// <summary>True while a download is fetching pieces (then the engine, not the announcer, reports the file).</summary>
    public bool IsDownloading => Download is { IsRunning: true };

    /// <summary>What this peer process served of the file and fetched of it; every announce reports them.</summary>
    public TransferTotals Totals { get; } = new();

    /// <summary>Set once removed: a request racing the removal finds the file gone.</summary>
    internal bool IsRemoved { get; set; }

    /// <summary>Announcer bookkeeping: the swarm has heard Started from us.</summary>
    internal bool Announced { get; set; }

    internal DateTimeOffset NextAnnounce { get; set; }

    internal bool AnnounceFailing { get; set; }
}
