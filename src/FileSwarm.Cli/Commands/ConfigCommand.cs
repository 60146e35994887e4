using System.CommandLine;
using System.Text.Json;
using FileSwarm.Cli.Config;
using FileSwarm.Cli.Output;

namespace FileSwarm.Cli.Commands;

/// <summary>
/// <c>fileswarm config VERB [OPTIONS]</c>: the settings a command line would run with, and where each comes from
/// (flag, FILESWARM_* variable, config file or default), without running it.
/// </summary>
internal static class ConfigCommand
{
    public const string Verb = "config";

    public static Command Build(RootCommand root, Option<string?> configOption, Func<IReadOnlyList<string>> rawArgs)
    {
        var line = new Argument<string[]>("VERB [OPTIONS]") { Description = "The command line to explain, e.g. `peer --http 8000`.", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "Print the settings as JSON." };
        var command = new Command(Verb, "Show the settings a command would use and where each comes from: flag > FILESWARM_* > config file > default.")
        {
            line, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, _) => CliErrors.RunAsync(Verb, () =>
        {
            var asJson = parse.GetValue(json);
            var explained = rawArgs().SkipWhile(a => a != Verb).Skip(1).Where(a => a != "--json").ToList();
            if (explained.Count == 0 || explained[0].StartsWith('-'))
            {
                return Task.FromResult(CliErrors.Fail(Verb, "name the verb to explain, e.g. `fileswarm config peer --http 8000`"));
            }

            var configured = ConfiguredParser.Parse(root, configOption, explained);
            var target = configured.Parse.CommandResult.Command;
            var rows = new List<(string Name, string? Value, string Source)>();
            foreach (var option in target.Options)
            {
                if (Settings.NameOf(option) is not { } name)
                {
                    continue;
                }

                var result = configured.Parse.GetResult(option);
                var source = configured.Sources.TryGetValue(name, out var s) ? s : SettingSource.Default;
                var value = source == SettingSource.Default
                    ? (option.HasDefaultValue ? option.GetDefaultValue() switch { bool b => b ? "true" : "false", var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) } : null)
                    : result?.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
                rows.Add((name, value, source == SettingSource.Default ? "default" : Settings.Describe(source, name, configured.ConfigPath)));
            }

            if (asJson)
            {
                var settings = rows.ToDictionary(r => r.Name, r => new { value = r.Value, source = r.Source });
                Console.Out.WriteLine(JsonSerializer.Serialize(new { verb = target.Name, config_file = configured.ConfigPath, settings }, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            }
            else
            {
                Console.Out.WriteLine($"fileswarm {target.Name}: config file {configured.ConfigPath ?? "(none)"}");
                var width = rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length);
                foreach (var (name, value, source) in rows)
                {
                    Console.Out.WriteLine($"  {name.PadRight(width)}  {value ?? "-",-30}  {source}");
                }
            }

            foreach (var error in configured.Parse.Errors.Where(e => !e.Message.StartsWith("Required", StringComparison.Ordinal)))
            {
                Console.Error.WriteLine($"fileswarm config: warning: {configured.Explain(error.Message)}");
            }

            return Task.FromResult(CliErrors.Success);
        }));
        return command;
    }
}
