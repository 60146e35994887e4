using System.Collections.Concurrent;
using System.Diagnostics;

namespace FileSwarm.Integration.Tests.Infrastructure;

/// <summary>Every line every process of a test printed, in order, to show when the test fails.</summary>
public sealed class ClusterLog
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public void Add(string source, string line) => _lines.Enqueue($"{_clock.Elapsed.TotalSeconds,7:F2} [{source}] {line}");

    public IReadOnlyList<string> Lines => [.. _lines];

    public override string ToString() => string.Join(Environment.NewLine, _lines);
}
