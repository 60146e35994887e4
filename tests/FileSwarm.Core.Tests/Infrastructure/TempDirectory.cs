namespace FileSwarm.Core.Tests.Infrastructure;

/// <summary>A fresh directory (under the system temp directory unless told otherwise), deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("fileswarm-test-").FullName;
    }

    /// <summary>A fresh directory under <paramref name="parent"/> (e.g. another file system than the temp directory's).</summary>
    public TempDirectory(string parent)
    {
        Path = Directory.CreateDirectory(System.IO.Path.Join(parent, "fileswarm-test-" + Guid.NewGuid().ToString("N"))).FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Join([Path, .. parts]);

    /// <summary>Writes <paramref name="content"/> at a relative path, creating directories.</summary>
    public string WriteFile(string relativePath, ReadOnlySpan<byte> content)
    {
        var full = Combine(relativePath.Split('/'));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content.ToArray());
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
