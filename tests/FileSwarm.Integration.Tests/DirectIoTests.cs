using System.Runtime.InteropServices;
using FileSwarm.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FileSwarm.Integration.Tests;

/// <summary>
/// <c>fileswarm peer --direct-io on|off</c>: whether a download's part files are written around the page cache,
/// seen from outside in the flags of the peer process's open file descriptors (<c>/proc/PID/fdinfo</c>).
/// </summary>
public sealed class DirectIoTests(ITestOutputHelper output)
{
    private const int FileLength = 3 * 1024 * 1024;

    [Theory]
    [InlineData("on", true)]
    [InlineData("off", false)]
    public async Task The_setting_decides_whether_part_files_bypass_the_page_cache(string setting, bool direct)
    {
        await using var cluster = new Cluster(output);
        await cluster.RunAsync(async () =>
        {
            var tracker = await cluster.StartTrackerAsync();
            // A capped seeder keeps the download, and so its open part file, around for a few seconds.
            var seeder = await cluster.StartPeerAsync("seeder", tracker, "--max-upload-rate", "1M");
            var downloader = await cluster.StartPeerAsync("downloader", tracker, "--direct-io", setting);
            var source = cluster.CreateFile("direct.bin", FileLength);
            var hash = await seeder.UploadAsync(source, pieceLength: 64 * 1024);

            await downloader.StartDownloadAsync(hash);
            IReadOnlyList<int> flags = [];
            await Poll.UntilAsync(
                () => Task.FromResult((flags = PartFileFlags(downloader.Process.Id)).Count > 0),
                TimeSpan.FromSeconds(30),
                () => "the downloader to open direct.bin.part");
            output.WriteLine($"part file descriptors' flags: {string.Join(", ", flags.Select(f => Convert.ToString(f, 8)))}");
            Assert.Equal(direct, flags.Any(f => (f & DirectFlag) != 0));

            await downloader.WaitForDownloadAsync(hash, TimeSpan.FromSeconds(60));
            Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Join(downloader.DownloadsDirectory, "direct.bin")));
        });
    }

    // O_DIRECT, as open(2) spells it on this architecture.
    private static int DirectFlag => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    /// <summary>The open flags of every descriptor the process holds on a <c>.part</c> file.</summary>
    private static List<int> PartFileFlags(int pid)
    {
        var flags = new List<int>();
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }

            if (target is null || !target.EndsWith(".part", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                var line = File.ReadLines($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
                flags.Add(Convert.ToInt32(line["flags:".Length..].Trim(), 8));
            }
            catch (IOException)
            {
                // Closed between listing and reading.
            }
        }

        return flags;
    }
}
