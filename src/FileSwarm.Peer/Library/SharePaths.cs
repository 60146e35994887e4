namespace FileSwarm.Peer.Library;

/// <summary>Resolves a path the user asks to share to its real location, and checks it against the share root.</summary>
public static class SharePaths
{
    private const int MaxLinkDepth = 40;

    /// <summary>
    /// The absolute path with every symbolic link resolved, in every component (as <c>realpath(3)</c> does). Throws
    /// <see cref="PeerException"/> when the path is relative, does not exist, or loops.
    /// </summary>
    public static string Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || !Path.IsPathFullyQualified(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"\"{PeerException.Truncate(path)}\" is not an absolute path");
        }

        var real = ResolveLinks(Path.GetFullPath(path), 0);
        if (!File.Exists(real) && !Directory.Exists(real))
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"{path}: no such file or directory");
        }

        return real;
    }

    /// <summary>True when <paramref name="realPath"/> is <paramref name="realRoot"/> or inside it (both resolved).</summary>
    public static bool IsInside(string realPath, string realRoot)
    {
        ArgumentNullException.ThrowIfNull(realPath);
        ArgumentNullException.ThrowIfNull(realRoot);
        var root = Path.TrimEndingDirectorySeparator(realRoot);
        return realPath == root || realPath.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            || (root == Path.GetPathRoot(root) && realPath.StartsWith(root, StringComparison.Ordinal));
    }

    private static string ResolveLinks(string fullPath, int depth)
    {
        if (depth > MaxLinkDepth)
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"{fullPath}: too many levels of symbolic links");
        }

        var root = Path.GetPathRoot(fullPath) ?? "/";
        var current = root;
        foreach (var component in fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Join(current, component);
            FileSystemInfo info = new FileInfo(next);
            if (info.LinkTarget is not null)
            {
                // Resolve one link level and go on from its target, which may itself sit under links.
                var target = info.LinkTarget;
                var absolute = Path.GetFullPath(target, current);
                next = ResolveLinks(absolute, depth + 1);
            }

            current = next;
        }

        return current;
    }
}
