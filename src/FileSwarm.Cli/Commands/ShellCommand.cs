using System.CommandLine;
using FileSwarm.Cli.Output;
using FileSwarm.Cli.Shell;

namespace FileSwarm.Cli.Commands;

/// <summary><c>fileswarm shell</c> (or <c>fileswarm</c> alone on a terminal): the interactive interface to a running peer.</summary>
internal static class ShellCommand
{
    public const string Verb = "shell";

    public static Command Build()
    {
        var peer = ClientCommands.PeerOption();
        var token = ClientCommands.TokenOption();
        var command = new Command(Verb, "Interactive mode: list, share, get with live progress (Ctrl-C cancels), status, rm. Reads commands line by line from a pipe too.")
        {
            peer, token,
        };
        command.SetAction((parse, _) => CliErrors.RunAsync(Verb, () =>
            new InteractiveShell(parse.GetRequiredValue(peer), parse.GetValue(token), Console.In, Console.Out, Console.Error).RunAsync()));
        return command;
    }
}
