namespace FileSwarm.Tracker.Tests.Infrastructure;

/// <summary>
/// A clock that moves only when told to. Wall-clock time and timestamps advance together; timers created on it fire,
/// on the thread that calls <see cref="Advance"/>, when their due time is passed.
/// </summary>
public sealed class FakeTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<FakeTimer> _timers = [];
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _elapsedTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _elapsedTicks;
        }
    }

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        long target;
        lock (_gate)
        {
            target = _elapsedTicks + by.Ticks;
        }

        // Fire due timers in order, each at its own due time, so that periodic timers tick once per period.
        while (true)
        {
            FakeTimer? due;
            lock (_gate)
            {
                due = _timers.Where(t => t.DueAt <= target).MinBy(t => t.DueAt);
                var moveTo = due?.DueAt ?? target;
                if (moveTo > _elapsedTicks)
                {
                    _now += TimeSpan.FromTicks(moveTo - _elapsedTicks);
                    _elapsedTicks = moveTo;
                }

                if (due is null)
                {
                    return;
                }

                due.Reschedule(_elapsedTicks);
            }

            due.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private long _period = -1;

        public long DueAt { get; private set; } = long.MaxValue;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                owner._timers.Remove(this);
                _period = period == Timeout.InfiniteTimeSpan ? -1 : period.Ticks;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    DueAt = long.MaxValue;
                    return true;
                }

                DueAt = owner._elapsedTicks + dueTime.Ticks;
                owner._timers.Add(this);
                return true;
            }
        }

        /// <summary>Under the owner's gate: the next due time, or removal for a one-shot timer.</summary>
        public void Reschedule(long now)
        {
            if (_period > 0)
            {
                DueAt = now + _period;
            }
            else
            {
                DueAt = long.MaxValue;
                owner._timers.Remove(this);
            }
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
