using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Rpc.RobustnessTests.Infrastructure;

public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    public override string ToString() => $"[{Level}] {Category} ({EventId.Id}): {Message}{(Exception is null ? "" : " " + Exception)}";
}

/// <summary>Keeps every log entry of a server, at every level, and lets a test wait for one.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyCollection<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(this, categoryName);

    /// <summary>Waits until an entry matching <paramref name="match"/> has been logged.</summary>
    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task logged;
            lock (_lock)
            {
                logged = _logged.Task;
            }

            if (_entries.FirstOrDefault(match) is { } entry)
            {
                return entry;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for a log entry: {what}. Logged:{Environment.NewLine}{Dump()}");
            }

            try
            {
                await logged.WaitAsync(remaining);
            }
            catch (TimeoutException)
            {
                // Checked once more at the top.
            }
        }
    }

    public string Dump() => string.Join(Environment.NewLine, _entries);

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        _entries.Enqueue(entry);
        lock (_lock)
        {
            _logged.TrySetResult();
            _logged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private sealed class RecordingLogger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
