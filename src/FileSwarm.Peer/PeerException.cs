namespace FileSwarm.Peer;

/// <summary>What went wrong, in terms every boundary (HTTP, CLI) can map to its own status.</summary>
public enum PeerErrorKind
{
    /// <summary>The request itself is malformed: bad hash, bad JSON, a path that may not be shared.</summary>
    InvalidArgument,

    /// <summary>No file with that hash or name.</summary>
    NotFound,

    /// <summary>The request conflicts with the library's state: already downloading, a name already taken.</summary>
    Conflict,

    /// <summary>The discovery back end (the tracker) cannot be reached.</summary>
    Unavailable,
}

/// <summary>An expected failure of a peer operation, with a message fit for the user as it is.</summary>
public sealed class PeerException : Exception
{
    public PeerException(PeerErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public PeerException()
        : this(PeerErrorKind.InvalidArgument, "invalid request")
    {
    }

    public PeerException(string message)
        : this(PeerErrorKind.InvalidArgument, message)
    {
    }

    public PeerException(string message, Exception innerException)
        : this(PeerErrorKind.InvalidArgument, message, innerException)
    {
    }

    public PeerErrorKind Kind { get; }

    public static PeerException NotFound(string hashOrName) => new(PeerErrorKind.NotFound, $"no file {hashOrName} is known");

    public static PeerException BadHash(string text) =>
        new(PeerErrorKind.InvalidArgument, $"\"{Truncate(text)}\" is not a hash: use the info-hash or content SHA-1, 40 hex characters");

    internal static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
