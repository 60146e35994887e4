using System.Text;
using Google.Protobuf;

namespace FileSwarm.Etcd;

/// <summary>Key helpers: etcd keys are bytes, and a prefix is the range [prefix, prefix with its last byte + 1).</summary>
public static class EtcdKeys
{
    private static readonly ByteString AllKeys = ByteString.CopyFrom(0);

    public static ByteString Key(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return ByteString.CopyFromUtf8(key);
    }

    /// <summary>
    /// The range end that selects every key starting with <paramref name="prefix"/>: the prefix with its last byte
    /// that is not 0xff incremented and what follows dropped; "\0" (every key) when all bytes are 0xff.
    /// </summary>
    public static ByteString PrefixEnd(ByteString prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var bytes = prefix.ToByteArray();
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return ByteString.CopyFrom(bytes, 0, i + 1);
            }
        }

        return AllKeys;
    }

    public static ByteString PrefixEnd(string prefix) => PrefixEnd(Key(prefix));

    public static string ToText(ByteString key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.ToStringUtf8();
    }

    /// <summary>The part of <paramref name="key"/> after <paramref name="prefix"/>, or null when it does not start with it.</summary>
    public static string? After(ByteString key, string prefix)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(prefix);
        var text = key.ToStringUtf8();
        return text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : null;
    }

    /// <summary>A key prefix made of parts, each ending in '/'; parts may not contain '/'.</summary>
    public static string Join(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var builder = new StringBuilder();
        foreach (var part in parts)
        {
            builder.Append(part.Trim('/')).Append('/');
        }

        return builder.ToString();
    }
}
