namespace FileSwarm.Peer.Transfers.Internal;

internal static class Backoff
{
    /// <summary><paramref name="initial"/> doubled per earlier attempt, capped at <paramref name="max"/>.</summary>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var ticks = Math.Min(initial.Ticks * factor, max.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
