using System.CommandLine;
using System.Text.Json;

namespace FileSwarm.Cli.Config;

/// <summary>
/// Settings come from four places, strongest first: the command line (<c>--peer URL</c>), the environment
/// (<c>FILESWARM_PEER</c>), a JSON config file (<c>{"peer": "URL"}</c>) and the built-in default. Every option that
/// takes a value has the same name in all three: the flag without its dashes, upper-cased with underscores for the
/// environment. The file is <c>--config FILE</c>, else <c>$FILESWARM_CONFIG</c> (empty: no file), else
/// <c>$XDG_CONFIG_HOME/fileswarm/config.json</c> (<c>~/.config/...</c>) when it exists.
/// </summary>
internal static class Settings
{
    public const string EnvironmentPrefix = "FILESWARM_";
    public const string ConfigVariable = "FILESWARM_CONFIG";

    /// <summary>Options a config file or the environment must not set: they name one run's input or output.</summary>
    private static readonly HashSet<string> NotConfigurable = new(StringComparer.Ordinal)
    {
        "help", "version", "config", "output", "force", "json", "no-sha1", "piece-length", "detach",
    };

    public static string EnvironmentName(string name) => EnvironmentPrefix + name.ToUpperInvariant().Replace('-', '_');

    /// <summary>The config file to read, or null; throws <see cref="ConfigException"/> when a named file is missing.</summary>
    public static string? ConfigPath(string? fromFlag)
    {
        if (fromFlag is not null)
        {
            return File.Exists(fromFlag) ? Path.GetFullPath(fromFlag) : throw new ConfigException($"--config {fromFlag}: no such file");
        }

        if (Environment.GetEnvironmentVariable(ConfigVariable) is { } fromEnvironment)
        {
            return fromEnvironment.Length == 0 ? null
                : File.Exists(fromEnvironment) ? Path.GetFullPath(fromEnvironment)
                : throw new ConfigException($"{ConfigVariable}={fromEnvironment}: no such file");
        }

        var configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(configHome))
        {
            configHome = Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        }

        var path = Path.Join(configHome, "fileswarm", "config.json");
        return File.Exists(path) ? path : null;
    }

    /// <summary>Reads a config file: one JSON object of names to strings, numbers or booleans.</summary>
    public static Dictionary<string, string> ReadFile(string path, ISet<string> knownNames)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ConfigException($"config file {path}: not valid JSON: {e.Message}");
        }
        catch (IOException e)
        {
            throw new ConfigException($"config file {path}: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException($"config file {path}: must be a JSON object such as {{\"peer\": \"http://127.0.0.1:8000\"}}");
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var name = property.Name.Replace('_', '-').ToLowerInvariant();
                if (!knownNames.Contains(name))
                {
                    throw new ConfigException($"config file {path}: unknown setting \"{property.Name}\" (known: {string.Join(", ", knownNames.Order(StringComparer.Ordinal))})");
                }

                values[name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Number => property.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => throw new ConfigException($"config file {path}: \"{property.Name}\" must be a string, number or boolean"),
                };
            }

            return values;
        }
    }

    /// <summary>Every configurable name in the command tree (for checking a config file's keys).</summary>
    public static SortedSet<string> KnownNames(Command root)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        void Walk(Command command)
        {
            foreach (var option in command.Options)
            {
                if (NameOf(option) is { } name)
                {
                    names.Add(name);
                }
            }

            foreach (var sub in command.Subcommands)
            {
                Walk(sub);
            }
        }

        Walk(root);
        return names;
    }

    /// <summary>The setting name of an option ("--data-dir" → "data-dir"), or null when it is not configurable.</summary>
    public static string? NameOf(Option option)
    {
        if (!option.Name.StartsWith("--", StringComparison.Ordinal) || option.Arity.MaximumNumberOfValues == 0)
        {
            return null;
        }

        var name = option.Name[2..];
        return NotConfigurable.Contains(name) ? null : name;
    }

    public static string Describe(SettingSource source, string name, string? configPath) => source switch
    {
        SettingSource.Environment => EnvironmentName(name),
        SettingSource.File => $"\"{name}\" in {configPath}",
        _ => "--" + name,
    };
}

internal enum SettingSource
{
    Flag,
    Environment,
    File,
    Default,
}

/// <summary>A configuration problem, reported as one line.</summary>
internal sealed class ConfigException : Exception
{
    public ConfigException()
    {
    }

    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
