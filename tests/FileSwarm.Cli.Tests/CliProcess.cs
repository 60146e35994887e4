using System.Diagnostics;
using System.Reflection;

namespace FileSwarm.Cli.Tests;

/// <summary>Runs the built <c>fileswarm</c> CLI, or a third-party tool, as a child process and captures its output.</summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
    }

    private static readonly string CliPath = typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "FileSwarmCli").Value!;

    public static Task<Result> FileSwarmAsync(string workingDirectory, params string[] args)
    {
        Assert.True(File.Exists(CliPath), $"the CLI is not built at {CliPath}");
        return RunAsync("dotnet", workingDirectory, [CliPath, .. args]);
    }

    /// <summary>A third-party tool; missing means the test fails (CI installs them with scripts/install-deps.sh).</summary>
    public static Task<Result> ToolAsync(string tool, string workingDirectory, params string[] args)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Join(d, tool)).FirstOrDefault(File.Exists);
        Assert.True(found is not null, $"{tool} is not installed; run scripts/install-deps.sh (Debian transmission-cli, mktorrent)");
        return RunAsync(found, workingDirectory, args);
    }

    private static async Task<Result> RunAsync(string program, string workingDirectory, string[] args)
    {
        var psi = new ProcessStartInfo(program)
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

        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment.Remove("FILESWARM_DEBUG");
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
