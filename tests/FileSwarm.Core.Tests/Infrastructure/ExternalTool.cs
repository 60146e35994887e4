using System.Diagnostics;

namespace FileSwarm.Core.Tests.Infrastructure;

/// <summary>
/// Runs a third-party tool as a child process. A missing tool fails the test (never skips): the suites install
/// their Debian tools with scripts/install-deps.sh, and CI must not pass without them.
/// Shared as a linked source file by the test projects that run child processes.
/// </summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
    }

    public static string Require(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Join(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var hint = Environment.GetEnvironmentVariable("CI") == "true" ? " (CI must install it)" : "";
        Assert.Fail($"{name} is not installed{hint}; run scripts/install-deps.sh (Debian packages transmission-cli, mktorrent)");
        return "";
    }

    public static async Task<Result> RunAsync(string tool, string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo(Require(tool))
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["LC_ALL"] = "C.UTF-8";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment.Remove("FILESWARM_DEBUG");
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs the tool and fails the test on a non-zero exit.</summary>
    public static async Task<Result> RunCheckedAsync(string tool, string workingDirectory, params string[] args)
    {
        var result = await RunAsync(tool, workingDirectory, args);
        Assert.True(result.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited {result.ExitCode}: {result.StdErr}{result.StdOut}");
        return result;
    }
}
