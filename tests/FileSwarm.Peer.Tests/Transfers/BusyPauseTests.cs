using FileSwarm.Peer.Transfers.Internal;

namespace FileSwarm.Peer.Tests.Transfers;

public sealed class BusyPauseTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public void Lanes_refused_together_start_one_pause_of_one_step()
    {
        var busy = new BusyPause();

        Assert.Equal(Step, busy.Refused(Start, Step));
        // Three more lanes' requests, sent before the pause began, come back busy a moment later.
        for (var i = 1; i <= 3; i++)
        {
            var now = Start + TimeSpan.FromMilliseconds(i);
            Assert.Equal(Step - TimeSpan.FromMilliseconds(i), busy.Refused(now, Step));
        }

        Assert.Equal(1, busy.Steps);
        Assert.Equal(Start + Step, busy.Until);
    }

    [Fact]
    public void Each_busy_answer_after_a_pause_adds_a_step_up_to_eight_and_a_block_starts_over()
    {
        var busy = new BusyPause();
        var now = Start;
        for (var step = 1; step <= 10; step++)
        {
            var pause = busy.Refused(now, Step);
            Assert.Equal(Step * Math.Min(step, BusyPause.MaxSteps), pause);
            now = busy.Until;
        }

        busy.Served();
        Assert.Equal(Step, busy.Refused(now, Step));
    }
}
