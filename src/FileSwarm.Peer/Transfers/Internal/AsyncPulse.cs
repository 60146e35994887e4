namespace FileSwarm.Peer.Transfers.Internal;

/// <summary>
/// Wakes every waiter at once. Waiters take <see cref="WaitTask"/> before checking their condition (under the
/// owner's lock), so a pulse between the check and the wait is never lost.
/// </summary>
internal sealed class AsyncPulse
{
    private TaskCompletionSource _next = New();

    public Task WaitTask => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, New()).TrySetResult();

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
