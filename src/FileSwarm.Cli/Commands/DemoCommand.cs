using System.CommandLine;
using FileSwarm.Cli.Demo;
using FileSwarm.Cli.Output;

namespace FileSwarm.Cli.Commands;

/// <summary><c>fileswarm demo [--size SIZE] [--max-download-rate RATE]</c>: the whole system at work, then nothing left behind.</summary>
internal static class DemoCommand
{
    public const string Verb = "demo";

    public static Command Build()
    {
        var size = new Option<long>("--size")
        {
            Description = "Size of the generated file, e.g. 64M, 1G (default 64M).",
            HelpName = "SIZE",
            DefaultValueFactory = _ => 64L * 1024 * 1024,
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (Sizes.TryParse(text, out var bytes) && bytes is > 0 and <= 64L * 1024 * 1024 * 1024)
                {
                    return bytes;
                }

                result.AddError($"--size: \"{text}\" is not a size from 1 byte to 64G (e.g. 64M)");
                return 0;
            },
        };
        var rate = new Option<long?>("--max-download-rate")
        {
            Description = "Cap peer B's download rate, e.g. 5M, to watch the progress bar longer (default none).",
            HelpName = "RATE",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (Sizes.TryParse(text.EndsWith("/s", StringComparison.OrdinalIgnoreCase) ? text[..^2] : text, out var bytes) && bytes > 0)
                {
                    return bytes;
                }

                result.AddError($"--max-download-rate: \"{text}\" is not a rate in bytes per second (e.g. 5M)");
                return null;
            },
        };
        var command = new Command(Verb, "Run a tracker and two peers on free loopback ports, share a generated file from one, download it on the other with progress, verify its SHA-1, then stop everything and clean up (Ctrl-C too).")
        {
            size, rate,
        };
        command.SetAction((parse, _) => CliErrors.RunAsync(Verb, () =>
            new DemoRun(parse.GetValue(size), parse.GetValue(rate), Console.Out).RunAsync()));
        return command;
    }
}
