using System.Runtime.InteropServices;
using System.Text;
using FileSwarm.Cli.Client;
using FileSwarm.Cli.Output;

namespace FileSwarm.Cli.Shell;

/// <summary>
/// A prompt over a running peer's HTTP API. On a terminal it shows a prompt and live progress bars; from a pipe it reads
/// one command per line and prints plain lines (then the exit code says whether every command succeeded).
/// Ctrl-C cancels the running command (a get cancels its download) and returns to the prompt; quit, exit or end of
/// input leaves.
/// </summary>
internal sealed class InteractiveShell(Uri peer, string? token, TextReader input, TextWriter output, TextWriter errors)
{
    private const string Prompt = "fileswarm> ";

    private readonly bool _terminal = !Console.IsInputRedirected && !Console.IsOutputRedirected;
    private readonly object _gate = new();
    private CancellationTokenSource? _running;
    private bool _quit;

    public async Task<int> RunAsync()
    {
        using var client = new PeerClient(peer, token);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnInterrupt);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminate);
        var failures = 0;
        await GreetAsync(client);
        while (!_quit)
        {
            if (_terminal)
            {
                output.Write(Prompt);
                output.Flush();
            }

            var line = await Task.Run(input.ReadLine);
            if (line is null)
            {
                if (_terminal)
                {
                    output.WriteLine();
                }

                break;
            }

            var words = Tokenize(line);
            if (words.Count == 0 || words[0].StartsWith('#'))
            {
                continue;
            }

            if (!await ExecuteAsync(client, words))
            {
                failures++;
            }

            output.Flush();
        }

        return _terminal || failures == 0 ? CliErrors.Success : CliErrors.UserError;
    }

    private async Task GreetAsync(PeerClient client)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var health = await client.HealthAsync(timeout.Token);
            if (_terminal)
            {
                output.WriteLine($"FileSwarm shell on the peer at {client.Display} ({health.GetProperty("discovery").GetString()}, {health.GetProperty("files").GetInt32()} files). Type help, or quit.");
            }
        }
        catch (PeerApiException e)
        {
            errors.WriteLine($"warning: {e.Message}");
        }
    }

    /// <summary>Runs one command; false when it failed.</summary>
    private async Task<bool> ExecuteAsync(PeerClient client, List<string> words)
    {
        var verb = words[0].ToLowerInvariant();
        var args = words.Skip(1).ToList();
        using var running = new CancellationTokenSource();
        lock (_gate)
        {
            _running = running;
        }

        try
        {
            var actions = new PeerActions(client, output, output, json: false, terminal: _terminal);
            var code = verb switch
            {
                "help" or "?" => Help(),
                "quit" or "exit" or "q" => Quit(),
                "ls" or "list" => await actions.ListAsync(running.Token),
                "status" or "st" => await actions.StatusAsync(running.Token),
                "peers" => await PeersAsync(client, running.Token),
                "share" when args.Count == 1 => await actions.ShareAsync(args[0], running.Token),
                "get" when args.Count is 1 or 3 && (args.Count == 1 || args[1] is "-o" or "--output") =>
                    await actions.GetAsync(args[0], args.Count == 3 ? args[2] : null, detach: false, running.Token),
                "rm" or "cancel" when args.Count == 1 => await actions.RemoveAsync(args[0], running.Token),
                "share" or "get" or "rm" or "cancel" => Usage(verb),
                _ => Unknown(verb),
            };
            return code == CliErrors.Success;
        }
        catch (OperationCanceledException) when (running.IsCancellationRequested)
        {
            output.WriteLine("cancelled");
            return false;
        }
        catch (Exception e) when (e is PeerApiException or UserErrorException or IOException or UnauthorizedAccessException)
        {
            errors.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
            return false;
        }
        finally
        {
            lock (_gate)
            {
                _running = null;
            }
        }
    }

    private async Task<int> PeersAsync(PeerClient client, CancellationToken cancellationToken)
    {
        var health = await client.HealthAsync(cancellationToken);
        output.WriteLine($"this peer: {health.GetProperty("peer_id").GetString()} at {client.Display}, discovery: {health.GetProperty("discovery").GetString()}");
        var downloads = await client.DownloadsAsync(cancellationToken);
        var any = false;
        foreach (var download in downloads.GetProperty("downloads").EnumerateArray())
        {
            foreach (var remote in download.GetProperty("peer_stats").EnumerateArray())
            {
                any = true;
                output.WriteLine($"  {remote.GetProperty("address").GetString(),-24} {Sizes.Format(DownloadStatus.Int64(remote, "bytes_received")),10} of {download.GetProperty("name").GetString()}{(remote.GetProperty("dropped").GetBoolean() ? " (dropped)" : "")}");
            }
        }

        if (!any)
        {
            output.WriteLine("  no other peer has sent pieces yet (peers show up here once a download runs)");
        }

        return CliErrors.Success;
    }

    private int Help()
    {
        output.WriteLine("""
            commands:
              ls                    files the tracker knows; HERE marks what this peer holds
              share PATH            share a local file
              get HASH [-o DIR]     download with live progress; Ctrl-C cancels the download
              status                this peer's downloads
              peers                 this peer, and the peers it has fetched pieces from
              rm HASH               stop sharing, or cancel a download (alias: cancel)
              help                  this list
              quit                  leave (also exit, Ctrl-D)
            """);
        return CliErrors.Success;
    }

    private int Quit()
    {
        _quit = true;
        return CliErrors.Success;
    }

    private int Usage(string verb)
    {
        errors.WriteLine(verb switch
        {
            "share" => "usage: share PATH",
            "get" => "usage: get HASH [-o DIR]",
            _ => $"usage: {verb} HASH",
        });
        return CliErrors.UserError;
    }

    private int Unknown(string verb)
    {
        errors.WriteLine($"error: unknown command \"{verb}\"; type help");
        return CliErrors.UserError;
    }

    private void OnInterrupt(PosixSignalContext context)
    {
        context.Cancel = true;
        lock (_gate)
        {
            if (_running is { } running)
            {
                running.Cancel();
                return;
            }
        }

        if (_terminal)
        {
            output.Write(Environment.NewLine + "(Ctrl-C cancels a running command; type quit to leave)" + Environment.NewLine + Prompt);
            output.Flush();
        }
        else
        {
            Environment.Exit(CliErrors.Cancelled);
        }
    }

    private void OnTerminate(PosixSignalContext context)
    {
        context.Cancel = true;
        _quit = true;
        lock (_gate)
        {
            _running?.Cancel();
        }

        if (_running is null)
        {
            Environment.Exit(CliErrors.Success);
        }
    }

    /// <summary>Splits on blanks; double or single quotes keep a path with spaces together.</summary>
    internal static List<string> Tokenize(string line)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        var inWord = false;
        foreach (var c in line)
        {
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        return words;
    }
}
