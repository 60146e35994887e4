namespace FileSwarm.Peer.Transfers.Internal;

/// <summary>Bytes per second as a moving average over a window, in quarter-second slots. Not thread-safe.</summary>
internal sealed class RateMeter
{
    private static readonly TimeSpan Slot = TimeSpan.FromMilliseconds(250);

    private readonly TimeProvider _time;
    private readonly long[] _slots;
    private readonly long _origin;
    private long _currentSlot;

    public RateMeter(TimeProvider time, TimeSpan window)
    {
        _time = time;
        _slots = new long[Math.Max(2, (int)Math.Ceiling(window / Slot))];
        _origin = time.GetTimestamp();
    }

    public void Add(long bytes)
    {
        Advance();
        _slots[_currentSlot % _slots.Length] += bytes;
    }

    public double BytesPerSecond
    {
        get
        {
            Advance();
            var elapsed = _time.GetElapsedTime(_origin);
            var span = TimeSpan.FromTicks(Math.Clamp(elapsed.Ticks, TimeSpan.FromSeconds(1).Ticks, (Slot * _slots.Length).Ticks));
            long sum = 0;
            foreach (var bytes in _slots)
            {
                sum += bytes;
            }

            return sum / span.TotalSeconds;
        }
    }

    private void Advance()
    {
        var slot = (long)(_time.GetElapsedTime(_origin) / Slot);
        if (slot - _currentSlot >= _slots.Length)
        {
            Array.Clear(_slots);
        }
        else
        {
            for (var s = _currentSlot + 1; s <= slot; s++)
            {
                _slots[s % _slots.Length] = 0;
            }
        }

        _currentSlot = Math.Max(_currentSlot, slot);
    }
}
