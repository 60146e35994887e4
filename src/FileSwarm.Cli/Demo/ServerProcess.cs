using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace FileSwarm.Cli.Demo;

/// <summary>
/// A <c>fileswarm tracker</c> or <c>fileswarm peer</c> started by the demo as a real child process of this same
/// executable, with its output captured. Children get no FILESWARM_* settings and no config file, so what the demo
/// shows does not depend on the user's configuration.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private ServerProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Pid { get; private set; }

    /// <param name="args">The verb (<c>tracker</c> or <c>peer</c>) and its options.</param>
    public static ServerProcess Start(string name, IReadOnlyList<string> args)
    {
        var verb = args[0];
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            // Run as `dotnet fileswarm.dll`: start the same assembly again.
            start.ArgumentList.Add(typeof(ServerProcess).Assembly.Location);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith(Config.Settings.EnvironmentPrefix, StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        // The runtime settings the ./fileswarm launcher gives each role (see the comment there for the measurements).
        var (setting, value) = verb == "tracker" ? ("DOTNET_GCgen0size", "0x4000000") : ("DOTNET_TC_CallCounting", "0");
        if (!start.Environment.ContainsKey(setting))
        {
            start.Environment[setting] = value;
        }

        start.Environment[Config.Settings.ConfigVariable] = "";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = start };
        var child = new ServerProcess(name, process);
        process.OutputDataReceived += (_, e) => child.Add(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.Add(child._stderr, e.Data);
        process.Start();
        child.Pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for a stdout line matching <paramref name="pattern"/>; returns its first group.</summary>
    public async Task<string> WaitForLineAsync(string pattern, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var regex = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
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
                throw new DemoException($"the {Name} exited with code {_process.ExitCode} while starting:{Environment.NewLine}{Tail()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new DemoException($"the {Name} did not start within {timeout.TotalSeconds:0} s:{Environment.NewLine}{Tail()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>The last lines of its error output, for a failure report.</summary>
    public string Tail()
    {
        lock (_stderr)
        {
            return string.Join(Environment.NewLine, _stderr.TakeLast(15).Select(l => "    " + l));
        }
    }

    /// <summary>SIGTERM (it leaves its swarms cleanly), then SIGKILL if it has not exited after a grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                using var kill = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]);
                if (kill is not null)
                {
                    await kill.WaitForExitAsync();
                }

                using var grace = new CancellationTokenSource(StopGrace);
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // It never started, or is gone already.
        }

        _process.Dispose();
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (lines)
        {
            lines.Add(line);
        }
    }
}

/// <summary>Something in the demo went wrong; the message says what, with the process output that explains it.</summary>
internal sealed class DemoException : Exception
{
    public DemoException()
    {
    }

    public DemoException(string message)
        : base(message)
    {
    }

    public DemoException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
