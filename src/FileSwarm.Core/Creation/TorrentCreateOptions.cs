using FileSwarm.Core.Pieces;

namespace FileSwarm.Core.Creation;

/// <summary>Options for <see cref="TorrentCreator"/>.</summary>
public sealed record TorrentCreateOptions
{
    /// <summary>Piece length; null picks <see cref="Metainfo.PieceLengths.ForContentLength"/>. Must be a power of two in 16 KiB..16 MiB.</summary>
    public int? PieceLength { get; init; }

    /// <summary>Tracker URL written as <c>announce</c>; none by default.</summary>
    public string? Announce { get; init; }

    public string? Comment { get; init; }

    /// <summary>Written as <c>created by</c>.</summary>
    public string CreatedBy { get; init; } = "FileSwarm";

    /// <summary>Write <c>creation date</c> (the time from <see cref="TimeProvider"/>). Default true.</summary>
    public bool IncludeCreationDate { get; init; } = true;

    /// <summary>Record the whole-content SHA-1 (default true). Off, hashing can use every core for pieces.</summary>
    public bool ComputeContentSha1 { get; init; } = true;

    public bool IsPrivate { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Threading and buffer sizes for hashing; <see cref="ComputeContentSha1"/> overrides its flag.</summary>
    public PieceHashingOptions Hashing { get; init; } = PieceHashingOptions.Default;
}
