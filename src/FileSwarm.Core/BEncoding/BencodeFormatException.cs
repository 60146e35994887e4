namespace FileSwarm.Core.BEncoding;

/// <summary>
/// The one error bencode parsing raises: the input is not strict BEP 3 bencoding or exceeds a limit.
/// <see cref="Offset"/> is the byte position in the input where the problem was found.
/// </summary>
public sealed class BencodeFormatException : FormatException
{
    public BencodeFormatException(string reason, long offset)
        : base($"invalid bencode at byte {offset}: {reason}")
    {
        Reason = reason;
        Offset = offset;
    }

    public BencodeFormatException()
        : this("malformed input", 0)
    {
    }

    public BencodeFormatException(string message)
        : this(message, 0)
    {
    }

    public BencodeFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    /// <summary>Byte offset into the parsed input at which the problem was detected.</summary>
    public long Offset { get; }

    /// <summary>The reason without the offset prefix.</summary>
    public string Reason { get; } = "";
}
