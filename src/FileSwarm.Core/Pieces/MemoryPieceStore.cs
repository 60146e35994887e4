using FileSwarm.Core.Metainfo;

namespace FileSwarm.Core.Pieces;

/// <summary>A piece store in one byte array: for tests, and for content small enough to keep in memory.</summary>
public sealed class MemoryPieceStore : PieceStore
{
    private readonly byte[] _content;

    /// <summary>An empty store; no piece is present.</summary>
    public MemoryPieceStore(TorrentMetainfo metainfo)
        : base(metainfo)
    {
        if (metainfo.TotalLength > Array.MaxLength)
        {
            throw new ArgumentException($"{metainfo.TotalLength} bytes do not fit in memory", nameof(metainfo));
        }

        _content = new byte[metainfo.TotalLength];
        FinaliseIfComplete();
    }

    /// <summary>A store holding <paramref name="content"/>; call <see cref="PieceStore.VerifyAll"/> to mark its pieces present.</summary>
    public MemoryPieceStore(TorrentMetainfo metainfo, ReadOnlySpan<byte> content)
        : this(metainfo)
    {
        if (content.Length != metainfo.TotalLength)
        {
            throw new ArgumentException($"content is {content.Length} bytes, the handler says {metainfo.TotalLength}", nameof(content));
        }

        content.CopyTo(_content);
    }

    /// <summary>Whether <see cref="PieceStore.Finalise"/> has run.</summary>
    public bool IsFinalised { get; private set; }

    /// <summary>The stored bytes (including unverified ones).</summary>
    public ReadOnlySpan<byte> Content => _content;

    protected override void ReadContent(long offset, Span<byte> destination) =>
        _content.AsSpan((int)offset, destination.Length).CopyTo(destination);

    protected override void WriteContent(long offset, ReadOnlySpan<byte> data) =>
        data.CopyTo(_content.AsSpan((int)offset, data.Length));

    protected override void Finalise() => IsFinalised = true;
}
