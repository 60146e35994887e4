using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using CliBuild = FileSwarm.Integration.Tests.Infrastructure.Cli;

namespace FileSwarm.Cli.Tests.Infrastructure;

/// <summary>
/// Runs the built CLI (<c>dotnet src/FileSwarm.Cli/bin/.../fileswarm.dll</c>) as a child process with stdout and stderr
/// redirected (so it is never "on a terminal"), a clean FILESWARM_* environment and no config file unless a test gives one.
/// </summary>
internal static class FileSwarmCli
{
    /// <summary>An environment value that removes the variable (FILESWARM_CONFIG is otherwise set empty: no config file).</summary>
    public const string Unset = "\0unset";

    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
    }

    public static async Task<Result> RunAsync(IReadOnlyList<string> args, IDictionary<string, string>? environment = null, string? stdin = null, string? workingDirectory = null)
    {
        using var process = Start(args, environment, workingDirectory);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fileswarm {string.Join(' ', args)} did not exit within 2 minutes; stdout so far: {await stdout}");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the CLI without waiting; the caller reads its output and ends it.</summary>
    public static Process Start(IReadOnlyList<string> args, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(CliBuild.DllPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in CleanEnvironment(environment))
        {
            start.Environment[key] = value;
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("FILESWARM_", StringComparison.Ordinal) && !(environment?.ContainsKey(k) ?? false)).ToList())
        {
            start.Environment.Remove(key);
        }

        if (!(environment?.ContainsKey("FILESWARM_CONFIG") ?? false))
        {
            start.Environment["FILESWARM_CONFIG"] = "";
        }

        foreach (var key in start.Environment.Where(e => e.Value == Unset).Select(e => e.Key).ToList())
        {
            start.Environment.Remove(key);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
    }

    private static Dictionary<string, string> CleanEnvironment(IDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["LC_ALL"] = "C.UTF-8",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>An error reported the CLI's way: one line, "fileswarm VERB: error: ...", no stack trace.</summary>
    public static void AssertOneLineError(Result result, string verb, string expected)
    {
        Assert.True(result.ExitCode == 1, $"expected exit 1: {result}");
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one error line: {result}");
        Assert.StartsWith($"fileswarm {verb}: error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"^\s+at ", RegexOptions.Multiline), result.StdErr + result.StdOut);
    }

    /// <summary>A loopback port nothing listens on (bound, then closed).</summary>
    public static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>An <see cref="Xunit.Abstractions.ITestOutputHelper"/> for class fixtures, which xunit gives none.</summary>
internal sealed class BufferedOutput : Xunit.Abstractions.ITestOutputHelper
{
    private readonly StringBuilder _text = new();

    public void WriteLine(string message)
    {
        lock (_text)
        {
            _text.AppendLine(message);
        }
    }

    public void WriteLine(string format, params object[] args) => WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

    public override string ToString()
    {
        lock (_text)
        {
            return _text.ToString();
        }
    }
}
