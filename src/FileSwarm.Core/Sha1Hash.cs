using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace FileSwarm.Core;

/// <summary>
/// A 20-byte SHA-1 digest: an info-hash or the SHA-1 of a file's content. Its text form is 40 lowercase hex
/// characters; parsing accepts either case.
/// </summary>
public readonly struct Sha1Hash : IEquatable<Sha1Hash>, ISpanFormattable
{
    /// <summary>Bytes in a SHA-1 digest.</summary>
    public const int Size = 20;

    private readonly Digest _digest;

    public Sha1Hash(ReadOnlySpan<byte> digest)
    {
        if (digest.Length != Size)
        {
            throw new ArgumentException($"a SHA-1 digest is {Size} bytes, not {digest.Length}", nameof(digest));
        }

        digest.CopyTo(_digest);
    }

    /// <summary>The digest bytes. Valid as long as this value is (copy it if you keep it).</summary>
    [UnscopedRef]
    public ReadOnlySpan<byte> Span => _digest;

    /// <summary>Copies the 20 digest bytes into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination) => Span.CopyTo(destination);

    public byte[] ToArray() => Span.ToArray();

    /// <summary>SHA-1 of <paramref name="data"/>.</summary>
    public static Sha1Hash Compute(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[Size];
        SHA1.HashData(data, digest);
        return new Sha1Hash(digest);
    }

    /// <summary>Parses 40 hex characters, either case.</summary>
    public static Sha1Hash Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var hash)
            ? hash
            : throw new FormatException($"\"{Truncate(text)}\" is not a SHA-1 hash (40 hex characters)");
    }

    public static bool TryParse(ReadOnlySpan<char> text, out Sha1Hash hash)
    {
        hash = default;
        if (text.Length != Size * 2)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[Size];
        if (Convert.FromHexString(text, digest, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        hash = new Sha1Hash(digest);
        return true;
    }

    public bool Equals(Sha1Hash other) => Span.SequenceEqual(other.Span);

    public override bool Equals(object? obj) => obj is Sha1Hash other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(Span);

    /// <summary>40 lowercase hex characters.</summary>
    public override string ToString() => Convert.ToHexStringLower(Span);

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        Convert.TryToHexStringLower(Span, destination, out charsWritten);

    public static bool operator ==(Sha1Hash left, Sha1Hash right) => left.Equals(right);

    public static bool operator !=(Sha1Hash left, Sha1Hash right) => !left.Equals(right);

    private static string Truncate(string text) => text.Length <= 48 ? text : string.Concat(text.AsSpan(0, 45), "...");

    [InlineArray(Size)]
    private struct Digest
    {
        private byte _element0;
    }
}
