namespace FileSwarm.Core.Metainfo;

/// <summary>
/// The handler is well-formed bencode but not acceptable metainfo: a field is missing, has the wrong type, is out of
/// range, or a name or path is unsafe. <see cref="Field"/> names the offending entry (e.g. <c>info.files[3].path[1]</c>).
/// </summary>
public sealed class MetainfoFormatException : FormatException
{
    public MetainfoFormatException(string field, string reason)
        : base(string.IsNullOrEmpty(field) ? $"invalid metainfo: {reason}" : $"invalid metainfo: {field}: {reason}")
    {
        Field = field;
        Reason = reason;
    }

    public MetainfoFormatException()
        : this("", "malformed metainfo")
    {
    }

    public MetainfoFormatException(string message)
        : this("", message)
    {
    }

    public MetainfoFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "";
        Reason = message;
    }

    /// <summary>Dotted path of the offending entry, e.g. <c>info.piece length</c>; empty for the whole file.</summary>
    public string Field { get; }

    /// <summary>Why the entry was refused.</summary>
    public string Reason { get; }
}
