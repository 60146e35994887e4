namespace FileSwarm.Peer.Discovery;

/// <summary>How this peer presents itself to the swarm.</summary>
/// <param name="PeerId">Stable identity kept in the data directory.</param>
/// <param name="Port">The bound gRPC port.</param>
/// <param name="AdvertiseAddress"><c>host:port</c> to publish, or null to let the back end use the source address.</param>
public sealed record DiscoveryIdentity(string PeerId, int Port, string? AdvertiseAddress);
