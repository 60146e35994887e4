using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FileSwarm.Integration.Tests.Infrastructure;

/// <summary>A process of the built CLI with its output captured line by line into the cluster's log.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ClusterLog _log;
    private readonly List<string> _stdout = [];

    private ChildProcess(string name, Process process, ClusterLog log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ChildProcess Start(string name, IEnumerable<string> args, ClusterLog log)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Cli.DllPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, log);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, stdout: false);
        log.Add(name, "$ fileswarm " + string.Join(' ', args));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for a stdout line matching <paramref name="pattern"/> and returns its first group.</summary>
    public async Task<string> WaitForOutputAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_stdout)
            {
                foreach (var line in _stdout)
                {
                    if (regex.Match(line) is { Success: true } match)
                    {
                        return match.Groups.Count > 1 ? match.Groups[1].Value : match.Value;
                    }
                }
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before printing /{pattern}/");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{Name} did not print /{pattern}/ within {timeout.TotalSeconds} s");
    }

    /// <summary>SIGKILL: no chance to clean up, as in a crash.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _log.Add(Name, "killed");
    }

    /// <summary>SIGTERM, then waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            Posix.Terminate(_process.Id);
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private void OnLine(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }

        if (stdout)
        {
            lock (_stdout)
            {
                _stdout.Add(line);
            }
        }

        _log.Add(Name, line);
    }
}

internal static class Posix
{
    public static void Terminate(int pid) => Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
}

/// <summary>Where the CLI under test is.</summary>
public static class Cli
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The most recently built <c>fileswarm.dll</c> (Release, which ./test builds, or Debug).</summary>
    public static string DllPath { get; } = FindDll();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Join(dir.FullName, "FileSwarm.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FileSwarm.slnx not found above " + AppContext.BaseDirectory);
    }

    private static string FindDll()
    {
        var candidates = new[] { "Release", "Debug" }
            .Select(c => Path.Join(RepoRoot, "src", "FileSwarm.Cli", "bin", c, "net10.0", "fileswarm.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .ToList();
        return candidates.Count > 0 ? candidates[0] : throw new InvalidOperationException("Build the CLI first: dotnet build src/FileSwarm.Cli");
    }
}
