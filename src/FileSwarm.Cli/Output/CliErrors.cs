using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;

namespace FileSwarm.Cli.Output;

/// <summary>
/// The one place where a verb's exceptions become what a user sees: a single line on stderr and an exit code.
/// Stack traces only with FILESWARM_DEBUG=1, and only for errors that are bugs.
/// </summary>
internal static class CliErrors
{
    public const int Success = 0;
    public const int UserError = 1;
    public const int Cancelled = 130;
    public const int InternalError = 70;

    /// <summary>Runs a verb and converts its failure.</summary>
    public static async Task<int> RunAsync(string verb, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException)
        {
            Report(verb, "cancelled");
            return Cancelled;
        }
        catch (Exception e) when (Describe(e) is { } message)
        {
            Report(verb, message);
            return UserError;
        }
        catch (Exception e)
        {
            Report(verb, $"internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("FILESWARM_DEBUG") == "1")
            {
                Console.Error.WriteLine(e);
            }

            return InternalError;
        }
    }

    /// <summary>Reports a user error found by a verb itself.</summary>
    public static int Fail(string verb, string message)
    {
        Report(verb, message);
        return UserError;
    }

    /// <summary>The user-facing message for an expected failure, or null for a bug.</summary>
    private static string? Describe(Exception e) => e switch
    {
        UserErrorException user => user.Message,
        Client.PeerApiException api => api.Message,
        Config.ConfigException config => config.Message,
        BencodeFormatException bencode => $"not a valid .torrent file: {bencode.Message}",
        MetainfoFormatException metainfo => metainfo.Message,
        FileNotFoundException or DirectoryNotFoundException => e.Message,
        UnauthorizedAccessException => $"permission denied: {e.Message}",
        IOException => e.Message,
        _ => null,
    };

    private static void Report(string verb, string message) =>
        Console.Error.WriteLine($"fileswarm {verb}: error: {message.ReplaceLineEndings(" ")}");
}

/// <summary>A failure caused by the user's input, with a message fit to show as it is.</summary>
internal sealed class UserErrorException : Exception
{
    public UserErrorException()
        : base("invalid input")
    {
    }

    public UserErrorException(string message)
        : base(message)
    {
    }

    public UserErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
