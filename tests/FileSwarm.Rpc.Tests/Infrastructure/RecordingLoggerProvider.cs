using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Rpc.Tests.Infrastructure;

/// <summary>One log entry as a test saw it.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    public override string ToString() =>
        $"{Level} {Category}[{EventId.Id}] {Message}{(Exception is null ? string.Empty : Environment.NewLine + Exception)}";
}

/// <summary>
/// Records every entry logged through it, so a test can check what was logged — and, by default,
/// that nothing was logged at Error or above (grpc-dotnet's VerifyNoErrorsScope idea).
/// </summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public IEnumerable<LogEntry> Errors => _entries.Where(e => e.Level >= LogLevel.Error);

    public ILoggerFactory CreateFactory() =>
        LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(this, categoryName);

    /// <summary>Fails with every Error-level entry listed when there is any.</summary>
    public void AssertNoErrors()
    {
        var errors = Errors.ToList();
        if (errors.Count > 0)
        {
            Assert.Fail("Unexpected error log entries:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }
    }

    public void Dispose()
    {
    }

    private sealed class RecordingLogger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
