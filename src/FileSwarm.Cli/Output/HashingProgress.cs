using Spectre.Console;

namespace FileSwarm.Cli.Output;

/// <summary>
/// Shows hashing progress: a live bar when stdout is a terminal, otherwise a plain line on stderr at every 10%
/// (so logs and pipes stay readable and stdout stays clean for --json). Small inputs finish too fast to need either.
/// </summary>
internal static class HashingProgress
{
    /// <summary>Below this, no progress is shown.</summary>
    private const long Threshold = 16L * 1024 * 1024;

    public static async Task<T> RunAsync<T>(string label, long total, bool interactive, Func<IProgress<long>?, Task<T>> work)
    {
        if (total < Threshold)
        {
            return await work(null);
        }

        if (!interactive)
        {
            return await work(new PlainLines(label, total));
        }

        return await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(label, maxValue: total);
                var result = await work(new Callback(value => task.Value = value));
                task.Value = total;
                return result;
            });
    }

    private sealed class Callback(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    private sealed class PlainLines(string label, long total) : IProgress<long>
    {
        private int _lastDecile;

        public void Report(long value)
        {
            var decile = (int)(value * 10 / total);
            if (decile > Volatile.Read(ref _lastDecile) && Interlocked.Exchange(ref _lastDecile, decile) < decile)
            {
                Console.Error.WriteLine($"{label}: {decile * 10}% ({Sizes.Format(value)} of {Sizes.Format(total)})");
            }
        }
    }
}
