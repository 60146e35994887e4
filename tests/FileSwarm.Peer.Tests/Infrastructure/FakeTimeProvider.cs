namespace FileSwarm.Peer.Tests.Infrastructure;

/// <summary>A clock that moves only when told to; timers fire (on the thread pool) as it passes their due time.</summary>
public sealed class FakeTimeProvider : TimeProvider
{
    private readonly Lock _sync = new();
    private readonly List<FakeTimer> _timers = [];
    private DateTimeOffset _now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_sync)
        {
            return _now;
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public int ActiveTimers
    {
        get
        {
            lock (_sync)
            {
                return _timers.Count;
            }
        }
    }

    public void Advance(TimeSpan by)
    {
        List<FakeTimer> due = [];
        lock (_sync)
        {
            _now += by;
            foreach (var timer in _timers)
            {
                if (timer.DueAt <= _now)
                {
                    due.Add(timer);
                    timer.DueAt = timer.Period > TimeSpan.Zero ? _now + timer.Period : DateTimeOffset.MaxValue;
                }
            }

            _timers.RemoveAll(t => t.DueAt == DateTimeOffset.MaxValue);
        }

        foreach (var timer in due)
        {
            ThreadPool.QueueUserWorkItem(_ => timer.Callback(timer.State));
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(FakeTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        var fireNow = false;
        lock (_sync)
        {
            _timers.Remove(timer);
            timer.Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            if (dueTime <= TimeSpan.Zero)
            {
                fireNow = true;
                timer.DueAt = timer.Period > TimeSpan.Zero ? _now + timer.Period : DateTimeOffset.MaxValue;
                if (timer.Period > TimeSpan.Zero)
                {
                    _timers.Add(timer);
                }
            }
            else
            {
                timer.DueAt = _now + dueTime;
                _timers.Add(timer);
            }
        }

        if (fireNow)
        {
            ThreadPool.QueueUserWorkItem(_ => timer.Callback(timer.State));
        }
    }

    private void Remove(FakeTimer timer)
    {
        lock (_sync)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public TimerCallback Callback { get; } = callback;

        public object? State { get; } = state;

        public DateTimeOffset DueAt { get; set; }

        public TimeSpan Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
