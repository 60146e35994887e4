using System.Buffers.Text;
using System.Text;
using FileSwarm.Core;
using FileSwarm.Tracker.Registry;

namespace FileSwarm.Tracker.Internal;

/// <summary>
/// ListFiles page tokens: base64url of <c>[version 1][info-hash, 20 bytes][name, UTF-8]</c>, the position of the last
/// file of the previous page. Tied to <see cref="CatalogOrder"/>, not to a process, so any tracker on the same
/// registry accepts them. Opaque to clients; a token that does not decode is the caller's error.
/// </summary>
internal static class PageTokens
{
    private const byte Version = 1;
    private const int MaxTokenLength = 8192;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Encode(FileCursor cursor)
    {
        var name = Encoding.UTF8.GetBytes(cursor.Name);
        var bytes = new byte[1 + Sha1Hash.Size + name.Length];
        bytes[0] = Version;
        cursor.InfoHash.CopyTo(bytes.AsSpan(1));
        name.CopyTo(bytes.AsSpan(1 + Sha1Hash.Size));
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string token, out FileCursor? cursor)
    {
        cursor = null;
        if (token.Length > MaxTokenLength || !Base64Url.IsValid(token))
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException)
        {
            return false;
        }

        if (bytes.Length < 1 + Sha1Hash.Size || bytes[0] != Version)
        {
            return false;
        }

        try
        {
            var name = StrictUtf8.GetString(bytes.AsSpan(1 + Sha1Hash.Size));
            cursor = new FileCursor(name, new Sha1Hash(bytes.AsSpan(1, Sha1Hash.Size)));
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
