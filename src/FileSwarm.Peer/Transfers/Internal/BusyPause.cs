namespace FileSwarm.Peer.Transfers.Internal;

// How long a download leaves a peer alone after it answered RESOURCE_EXHAUSTED (all its upload slots taken). The pause
// grows by a step with each busy answer in a row, up to MaxSteps steps; a busy answer that arrives while a pause is
// running belongs to the same episode (requests sent together, refused together) and does not lengthen it. Counting
// each refused lane instead paused a peer whose four lanes were refused at once for four steps, a second: a capped
// seeder handing out the last pieces of a swarm sat idle meanwhile (bench/transfer/swarm.sh, 1→8). A block received
// from the peer ends the run. Not thread-safe: the download calls it under its lock.
internal sealed class BusyPause
{
    public const int MaxSteps = 8;

    /// <summary>No requests to the peer before this time.</summary>
    public DateTimeOffset Until { get; private set; }

    /// <summary>Busy answers in a row, counted once per pause.</summary>
    public int Steps { get; private set; }

    /// <summary>A busy answer at <paramref name="now"/>: starts a pause one step longer than the last, or keeps the running one. Returns the time left.</summary>
    public TimeSpan Refused(DateTimeOffset now, TimeSpan step)
    {
        if (now < Until)
        {
            return Until - now;
        }

        Steps = Math.Min(Steps + 1, MaxSteps);
        var pause = step * Steps;
        Until = now + pause;
        return pause;
    }

    /// <summary>The peer served a block: the next busy answer starts from one step again.</summary>
    public void Served() => Steps = 0;
}
