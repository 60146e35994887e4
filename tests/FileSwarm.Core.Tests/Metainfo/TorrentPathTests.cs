using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Tests.Infrastructure;
using FsCheck.Fluent;

namespace FileSwarm.Core.Tests.Metainfo;

public class TorrentPathTests
{
    [Theory]
    [InlineData("", "is empty")]
    [InlineData(".", "current directory")]
    [InlineData("..", "parent directory")]
    [InlineData("a/b", "contains '/'")]
    [InlineData("/", "contains '/'")]
    [InlineData("a\\b", "contains '\\'")]
    [InlineData("\\\\server", "contains '\\'")]
    [InlineData("C:", "drive prefix")]
    [InlineData("c:evil", "drive prefix")]
    [InlineData("a\0", "NUL")]
    [InlineData("\t", "control character")]
    public void Hostile_components_are_refused_with_a_reason(string component, string reason) =>
        Assert.Contains(reason, TorrentPath.GetComponentError(component), StringComparison.Ordinal);

    [Theory]
    [InlineData("file.txt")]
    [InlineData("...")]
    [InlineData("..hidden")]
    [InlineData(".hidden")]
    [InlineData("über straße ✓")]
    [InlineData("ab:c")]
    public void Ordinary_names_are_accepted(string component) =>
        Assert.Null(TorrentPath.GetComponentError(component));

    [Fact]
    public void Long_names_are_refused_by_utf8_length()
    {
        Assert.Null(TorrentPath.GetComponentError(new string('a', 255)));
        Assert.NotNull(TorrentPath.GetComponentError(new string('a', 256)));
        Assert.NotNull(TorrentPath.GetComponentError(new string('é', 128)));
    }

    [Fact]
    public void Resolve_places_paths_inside_the_root()
    {
        using var dir = new TempDirectory();
        var resolved = TorrentPath.Resolve(dir.Path, ["a", "b.txt"]);
        Assert.Equal(Path.Join(dir.Path, "a", "b.txt"), resolved);
        Assert.Throws<MetainfoFormatException>(() => TorrentPath.Resolve(dir.Path, []));
        var error = Assert.Throws<MetainfoFormatException>(() => TorrentPath.Resolve(dir.Path, ["a", ".."], "info.files[7].path"));
        Assert.Equal("info.files[7].path[1]", error.Field);
    }

    [Fact]
    public void Resolve_refuses_to_go_through_a_symbolic_link()
    {
        using var dir = new TempDirectory();
        using var outside = new TempDirectory();
        var root = Directory.CreateDirectory(dir.Combine("root")).FullName;
        Directory.CreateSymbolicLink(Path.Join(root, "escape"), outside.Path);
        var error = Assert.Throws<MetainfoFormatException>(() => TorrentPath.Resolve(root, ["escape", "x"]));
        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
        File.CreateSymbolicLink(Path.Join(root, "passwd"), "/etc/passwd");
        Assert.Throws<MetainfoFormatException>(() => TorrentPath.Resolve(root, ["passwd"]));
    }

    [Fact]
    public void Hostile_path_entries_never_resolve_outside_the_root()
    {
        using var dir = new TempDirectory();
        var root = Directory.CreateDirectory(dir.Combine("root")).FullName;
        var fragments = new[] { "..", ".", "", "/", "\\", "a", "b", "C:", "c:\\", "/etc", "..\\..", "../", "./", "\0", "~", "%2e%2e", "\u2215", ".. ", " ..", "...", ":" };
        var component = Gen.Elements(fragments).ListOf(3).Select(parts => string.Concat(parts));
        var paths = component.NonEmptyListOf().Select(list => list.ToArray());
        Properties.Check(Prop.ForAll(paths.ToArbitrary(), components =>
        {
            try
            {
                var resolved = TorrentPath.Resolve(root, components);
                return resolved.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                    && Path.GetFullPath(resolved) == resolved;
            }
            catch (MetainfoFormatException)
            {
                return true;
            }
        }), maxTest: 2000);
    }
}
