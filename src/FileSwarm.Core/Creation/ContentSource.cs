using System.Text;
using FileSwarm.Core.Metainfo;

namespace FileSwarm.Core.Creation;

/// <summary>One file found when scanning content to share.</summary>
public sealed record ContentSourceFile(string FullPath, IReadOnlyList<string> Path, long Length);

/// <summary>
/// The content a handler is created from: one file, or every regular file under a directory. Directory entries
/// are ordered by the UTF-8 bytes of their '/'-joined relative paths (the order mktorrent uses), so the same
/// directory always yields the same handler. Symbolic links inside a directory are not followed; a single file
/// given as a link is.
/// </summary>
public sealed class ContentSource
{
    private ContentSource(string fullPath, string name, bool isDirectory, IReadOnlyList<ContentSourceFile> files)
    {
        FullPath = fullPath;
        Name = name;
        IsDirectory = isDirectory;
        Files = files;
        TotalLength = files.Sum(f => f.Length);
    }

    public string FullPath { get; }

    /// <summary>The handler name: the file or directory name.</summary>
    public string Name { get; }

    public bool IsDirectory { get; }

    public IReadOnlyList<ContentSourceFile> Files { get; }

    public long TotalLength { get; }

    /// <summary>
    /// Scans <paramref name="path"/>. Throws <see cref="FileNotFoundException"/> when it does not exist and
    /// <see cref="IOException"/> when it cannot become a handler (an empty directory, a name that is not safe).
    /// </summary>
    public static ContentSource Scan(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var name = Path.GetFileName(fullPath);
        if (File.Exists(fullPath))
        {
            CheckName(name, fullPath);

            // A link named by the user is followed (its target's bytes are shared under the link's name).
            var info = new FileInfo(fullPath);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            return new ContentSource(fullPath, name, false, [new ContentSourceFile(fullPath, [name], target.Length)]);
        }

        if (!Directory.Exists(fullPath))
        {
            throw new FileNotFoundException($"{path}: no such file or directory", path);
        }

        if (string.IsNullOrEmpty(name))
        {
            throw new IOException($"{path}: the root directory cannot be shared; pick a directory inside it");
        }

        CheckName(name, fullPath);
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = false,
            ReturnSpecialDirectories = false,
        };
        var files = new List<(byte[] Key, ContentSourceFile File)>();
        foreach (var file in new DirectoryInfo(fullPath).EnumerateFiles("*", options))
        {
            var relative = Path.GetRelativePath(fullPath, file.FullName);
            var components = relative.Split(Path.DirectorySeparatorChar);
            foreach (var component in components)
            {
                CheckName(component, file.FullName);
            }

            files.Add((Encoding.UTF8.GetBytes(string.Join('/', components)), new ContentSourceFile(file.FullName, components, file.Length)));
        }

        if (files.Count == 0)
        {
            throw new IOException($"{path}: the directory contains no files");
        }

        files.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        return new ContentSource(fullPath, name, true, files.ConvertAll(f => f.File));
    }

    private static void CheckName(string component, string where)
    {
        if (TorrentPath.GetComponentError(component) is { } reason)
        {
            throw new IOException($"{TorrentPath.Printable(where)}: the name {reason}, so it cannot be shared");
        }
    }
}
