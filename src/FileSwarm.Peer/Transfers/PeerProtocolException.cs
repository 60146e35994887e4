namespace FileSwarm.Peer.Transfers;

/// <summary>
/// A remote peer broke the peer protocol (a block of the wrong length, a malformed bitfield). The download treats
/// it like a bad piece: a strike against the peer.
/// </summary>
public sealed class PeerProtocolException : Exception
{
    public PeerProtocolException()
    {
    }

    public PeerProtocolException(string message)
        : base(message)
    {
    }

    public PeerProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
