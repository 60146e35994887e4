using System.Text;

namespace FileSwarm.Core.Metainfo;

/// <summary>
/// Safety rules for names and paths that come from a handler, and the resolver that places them on disk.
/// A handler never decides where bytes go outside the directory the user chose.
/// </summary>
public static class TorrentPath
{
    /// <summary>Longest name component accepted, in UTF-8 bytes (the common file-system limit).</summary>
    public const int MaxComponentBytes = 255;

    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// Returns why <paramref name="component"/> cannot be a file or directory name, or null when it can.
    /// Refused: empty, <c>.</c>, <c>..</c>, any <c>/</c> or <c>\</c>, NUL or control characters, a drive prefix such as
    /// <c>C:</c>, and more than 255 UTF-8 bytes. On Windows also reserved device names and trailing dots or spaces.
    /// </summary>
    public static string? GetComponentError(string component)
    {
        ArgumentNullException.ThrowIfNull(component);
        if (component.Length == 0)
        {
            return "is empty";
        }

        if (component == ".")
        {
            return "is \".\" (the current directory)";
        }

        if (component == "..")
        {
            return "is \"..\" (the parent directory)";
        }

        foreach (var c in component)
        {
            switch (c)
            {
                case '/':
                    return $"\"{Printable(component)}\" contains '/' (a name may not contain a path separator)";
                case '\\':
                    return $"\"{Printable(component)}\" contains '\\' (a name may not contain a path separator)";
                case '\0':
                    return $"\"{Printable(component)}\" contains a NUL character";
                case < ' ' or '\u007f':
                    return $"\"{Printable(component)}\" contains the control character U+{(int)c:X4}";
                default:
                    break;
            }
        }

        if (component.Length >= 2 && component[1] == ':' && char.IsAsciiLetter(component[0]))
        {
            return $"\"{Printable(component)}\" starts with a drive prefix";
        }

        if (Encoding.UTF8.GetByteCount(component) > MaxComponentBytes)
        {
            return $"is longer than {MaxComponentBytes} bytes";
        }

        if (OperatingSystem.IsWindows())
        {
            if (component.EndsWith('.') || component.EndsWith(' '))
            {
                return $"\"{component}\" ends with '.' or a space, which Windows strips";
            }

            if (component.Contains(':', StringComparison.Ordinal) || component.AsSpan().IndexOfAny("<>\"|?*") >= 0)
            {
                return $"\"{component}\" contains a character Windows does not allow in names";
            }

            var stem = component.Split('.')[0].TrimEnd();
            if (IsWindowsDeviceName(stem))
            {
                return $"\"{component}\" is a reserved device name on Windows";
            }
        }

        return null;
    }

    /// <summary>
    /// Resolves handler path <paramref name="components"/> under <paramref name="rootDirectory"/> and returns the full
    /// path. Each component must pass <see cref="GetComponentError"/>; then the fully resolved path must lie strictly
    /// inside the root, and no existing directory on the way (or the file itself) may be a symbolic link, so nothing
    /// can be redirected elsewhere. Throws <see cref="MetainfoFormatException"/> naming <paramref name="field"/>.
    /// </summary>
    public static string Resolve(string rootDirectory, IReadOnlyList<string> components, string field = "path")
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        ArgumentNullException.ThrowIfNull(components);
        if (components.Count == 0)
        {
            throw new MetainfoFormatException(field, "path is empty");
        }

        for (var i = 0; i < components.Count; i++)
        {
            if (GetComponentError(components[i]) is { } reason)
            {
                throw new MetainfoFormatException($"{field}[{i}]", reason);
            }
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));
        var combined = Path.GetFullPath(Path.Join([root, .. components]));
        var rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!combined.StartsWith(rootWithSeparator, PathComparison) || combined.Length == rootWithSeparator.Length)
        {
            throw new MetainfoFormatException(field, $"\"{Printable(string.Join('/', components))}\" resolves outside the target directory");
        }

        // The string check cannot see links: a directory or file on the way that is a symbolic link (or junction)
        // could point anywhere, so refuse to go through one.
        var current = root;
        for (var i = 0; i < components.Count; i++)
        {
            current = Path.Join(current, components[i]);
            FileSystemInfo info = new FileInfo(current);
            if (!info.Exists)
            {
                info = new DirectoryInfo(current);
                if (!info.Exists)
                {
                    break;
                }
            }

            if (info.LinkTarget is not null || info.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                throw new MetainfoFormatException(field, $"\"{Printable(string.Join('/', components.Take(i + 1)))}\" is a symbolic link in the target directory");
            }
        }

        return combined;
    }

    /// <summary>Shows control characters as escapes so an error message stays on one line.</summary>
    internal static string Printable(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\0', '\u001f') && !text.Contains('\u007f', StringComparison.Ordinal) && text.Length <= 120)
        {
            return text;
        }

        var builder = new StringBuilder();
        foreach (var c in text.Length > 120 ? text[..117] : text)
        {
            builder.Append(c is < ' ' or '\u007f' ? $"\\u{(int)c:x4}" : c);
        }

        return text.Length > 120 ? builder.Append("...").ToString() : builder.ToString();
    }

    private static bool IsWindowsDeviceName(string stem) =>
        stem.ToUpperInvariant() is "CON" or "PRN" or "AUX" or "NUL" or "CONIN$" or "CONOUT$"
        || (stem.Length == 4 && (stem.StartsWith("COM", StringComparison.OrdinalIgnoreCase) || stem.StartsWith("LPT", StringComparison.OrdinalIgnoreCase))
            && stem[3] is >= '0' and <= '9');
}
