using System.Diagnostics;
using System.Text;

namespace FileSwarm.Interop.Tests;

/// <summary>Runs the grpc-js harness in tests/interop/node as real child processes.</summary>
public static class NodeHarness
{
    public static readonly string Directory = Path.Combine(RepoRoot(), "tests", "interop", "node");

    /// <summary>Fails (never skips) when node or the harness's packages are missing.</summary>
    public static void EnsureAvailable()
    {
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@grpc", "grpc-js")))
        {
            throw new InvalidOperationException($"The grpc-js harness is not installed: run 'npm ci' in {Directory} (./test does it).");
        }
    }

    /// <summary>Runs one interop case of the grpc-js client against a server; returns exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunClientAsync(int port, string testCase, TimeSpan timeout)
    {
        EnsureAvailable();
        var start = Start("client.js", "--server_host", "127.0.0.1", "--server_port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--test_case", testCase);
        using var process = start.Process;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}: {start.Output}");
        }

        process.WaitForExit(); // flushes the asynchronous output readers
        return (process.ExitCode, start.Output.ToString());
    }

    /// <summary>Starts the grpc-js TestService server and waits for its "LISTENING port" line.</summary>
    public static async Task<(Process Process, int Port)> StartServerAsync(TimeSpan timeout)
    {
        EnsureAvailable();
        var psi = NewStartInfo("server.js", "--port", "0");
        psi.RedirectStandardInput = true;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("node did not start.");
        using var cts = new CancellationTokenSource(timeout);
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) { errors.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.StartsWith("LISTENING ", StringComparison.Ordinal))
                {
                    return (process, int.Parse(line["LISTENING ".Length..], System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        process.Kill(entireProcessTree: true);
        process.Dispose();
        throw new InvalidOperationException($"The grpc-js server did not report its port within {timeout}. stderr: {errors}");
    }

    private static (Process Process, StringBuilder Output) Start(string script, params string[] args)
    {
        var psi = NewStartInfo(script, args);
        var output = new StringBuilder();
        var process = Process.Start(psi) ?? throw new InvalidOperationException("node did not start.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output);
    }

    private static ProcessStartInfo NewStartInfo(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        return psi;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FileSwarm.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (FileSwarm.slnx) above " + AppContext.BaseDirectory);
    }
}
