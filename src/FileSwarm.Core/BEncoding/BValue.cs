using System.Text;

namespace FileSwarm.Core.BEncoding;

/// <summary>
/// A bencoded value: <see cref="BString"/>, <see cref="BInteger"/>, <see cref="BList"/> or <see cref="BDictionary"/>.
/// Values are immutable. A parsed value remembers the exact bytes it was read from (<see cref="RawBytes"/>), which
/// is how the info-hash is computed from the original info dictionary and never from a re-encoding.
/// </summary>
public abstract class BValue
{
    private protected BValue()
    {
    }

    /// <summary>The exact input bytes this value was parsed from; empty for values built in code.</summary>
    public ReadOnlyMemory<byte> RawBytes { get; internal set; }

    /// <summary>Offset of this value in the parsed input, or -1 for values built in code.</summary>
    public long SourceOffset { get; internal set; } = -1;
}

/// <summary>A bencoded byte string. Not necessarily text.</summary>
public sealed class BString : BValue, IEquatable<BString>, IComparable<BString>
{
    public BString(ReadOnlyMemory<byte> bytes) => Bytes = bytes;

    public BString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Bytes = Encoding.UTF8.GetBytes(text);
    }

    public ReadOnlyMemory<byte> Bytes { get; }

    public ReadOnlySpan<byte> Span => Bytes.Span;

    public int Length => Bytes.Length;

    /// <summary>Decodes the bytes as strict UTF-8; returns false when they are not valid UTF-8.</summary>
    public bool TryGetText(out string text)
    {
        try
        {
            text = StrictUtf8.GetString(Bytes.Span);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    /// <summary>The bytes as UTF-8 text, with invalid sequences replaced; for display only.</summary>
    public override string ToString() => Encoding.UTF8.GetString(Bytes.Span);

    public bool Equals(BString? other) => other is not null && Span.SequenceEqual(other.Span);

    public override bool Equals(object? obj) => Equals(obj as BString);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Span);
        return hash.ToHashCode();
    }

    /// <summary>Raw byte order, the order BEP 3 requires for dictionary keys.</summary>
    public int CompareTo(BString? other) => other is null ? 1 : Span.SequenceCompareTo(other.Span);

    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

/// <summary>A bencoded integer (64-bit).</summary>
public sealed class BInteger : BValue
{
    public BInteger(long value) => Value = value;

    public long Value { get; }

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
