using System.CommandLine;

namespace FileSwarm.Cli.Config;

/// <summary>
/// Parses a command line, then gives each configurable option of the chosen verb that the command line left out
/// its value from the environment or the config file, and parses again: flag &gt; environment &gt; file &gt; default.
/// Injected values go through the same parsers and validators as typed ones; an error names where the value came from.
/// </summary>
internal static class ConfiguredParser
{
    public sealed record Result(ParseResult Parse, IReadOnlyDictionary<string, SettingSource> Sources, string? ConfigPath)
    {
        /// <summary>A parse error, with "(from FILESWARM_X)" when an injected value caused it.</summary>
        public string Explain(string message)
        {
            foreach (var (name, source) in Sources)
            {
                if (source != SettingSource.Flag && message.Contains("--" + name, StringComparison.Ordinal))
                {
                    return $"{message} (from {Settings.Describe(source, name, ConfigPath)})";
                }
            }

            return message;
        }
    }

    public static Result Parse(RootCommand root, Option<string?> configOption, IReadOnlyList<string> args)
    {
        var first = root.Parse(args);
        var configFlag = first.GetResult(configOption) is { Implicit: false } given && given.Tokens.Count == 1 ? given.Tokens[0].Value : null;
        var configPath = Settings.ConfigPath(configFlag);
        var file = configPath is null ? null : Settings.ReadFile(configPath, Settings.KnownNames(root));

        var sources = new Dictionary<string, SettingSource>(StringComparer.Ordinal);
        var extra = new List<string>();
        foreach (var option in first.CommandResult.Command.Options)
        {
            if (Settings.NameOf(option) is not { } name)
            {
                continue;
            }

            if (first.GetResult(option) is { Implicit: false })
            {
                sources[name] = SettingSource.Flag;
            }
            else if (Environment.GetEnvironmentVariable(Settings.EnvironmentName(name)) is { Length: > 0 } fromEnvironment)
            {
                sources[name] = SettingSource.Environment;
                extra.Add($"--{name}={fromEnvironment}");
            }
            else if (file is not null && file.TryGetValue(name, out var fromFile))
            {
                sources[name] = SettingSource.File;
                extra.Add($"--{name}={fromFile}");
            }
        }

        var parse = extra.Count == 0 ? first : root.Parse([.. args, .. extra]);
        return new Result(parse, sources, configPath);
    }
}
