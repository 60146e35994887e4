using System.Reflection;
using FileSwarm.Core.Tests.Infrastructure;

namespace FileSwarm.Cli.Tests;

/// <summary>Runs the built <c>fileswarm</c> CLI, or a third-party tool, as a child process and captures its output.</summary>
internal static class CliProcess
{
    private static readonly string CliPath = typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "FileSwarmCli").Value!;

    public static Task<ExternalTool.Result> FileSwarmAsync(string workingDirectory, params string[] args)
    {
        Assert.True(File.Exists(CliPath), $"the CLI is not built at {CliPath}");
        return ExternalTool.RunAsync("dotnet", workingDirectory, [CliPath, .. args]);
    }

    /// <summary>A third-party tool; a missing one fails the test.</summary>
    public static Task<ExternalTool.Result> ToolAsync(string tool, string workingDirectory, params string[] args) =>
        ExternalTool.RunAsync(tool, workingDirectory, args);
}
