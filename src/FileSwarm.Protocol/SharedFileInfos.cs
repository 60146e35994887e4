using FileSwarm.Core.Metainfo;
using FileSwarm.Protocol.V1;

namespace FileSwarm.Protocol;

public static class SharedFileInfos
{
    /// <summary>The <see cref="SharedFileInfo"/> of a handler.</summary>
    public static SharedFileInfo ToSharedFileInfo(this TorrentMetainfo metainfo)
    {
        ArgumentNullException.ThrowIfNull(metainfo);
        return new SharedFileInfo
        {
            Name = metainfo.Name,
            PieceLength = metainfo.PieceLength,
            Pieces = metainfo.PieceCount,
            Length = metainfo.TotalLength,
            Hash = metainfo.InfoHash.ToString(),
            Sha1 = metainfo.ContentSha1?.ToString() ?? string.Empty,
        };
    }
}
