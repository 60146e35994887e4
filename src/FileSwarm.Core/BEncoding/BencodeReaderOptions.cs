namespace FileSwarm.Core.BEncoding;

/// <summary>
/// Limits and strictness for <see cref="Bencode.Parse(ReadOnlyMemory{byte}, BencodeReaderOptions?)"/>.
/// The defaults are strict BEP 3 and sized for metainfo files; network messages should use tighter limits.
/// </summary>
public sealed record BencodeReaderOptions
{
    /// <summary>Strict BEP 3 with the default limits.</summary>
    public static BencodeReaderOptions Default { get; } = new();

    /// <summary>Deepest nesting of lists and dictionaries accepted (default 64). Guards the stack.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Largest input accepted, in bytes (default 64 MiB).</summary>
    public long MaxInputLength { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Most values (strings, integers, lists, dictionaries) accepted in one input (default 2,000,000).
    /// Each parsed value costs an object, so this bounds memory independently of the input size.
    /// </summary>
    public int MaxValueCount { get; init; } = 2_000_000;

    /// <summary>
    /// When true, dictionary keys may appear in any order (duplicates are still rejected). BEP 3 requires
    /// sorted keys; some old writers did not sort. Off by default.
    /// </summary>
    public bool AllowUnsortedKeys { get; init; }
}
