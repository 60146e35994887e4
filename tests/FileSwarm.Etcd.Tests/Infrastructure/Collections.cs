namespace FileSwarm.Etcd.Tests.Infrastructure;

/// <summary>Client tests: KV, leases, watches, failover, ping policy. One etcd for the collection.</summary>
[CollectionDefinition(Name)]
public sealed class EtcdClientCollection : ICollectionFixture<EtcdServer>
{
    public const string Name = "etcd client";
}

/// <summary>Tests that kill and restart etcd get an etcd of their own.</summary>
[CollectionDefinition(Name)]
public sealed class EtcdRestartCollection : ICollectionFixture<EtcdServer>
{
    public const string Name = "etcd restart";
}

/// <summary>The registry conformance suite and the tracker tests.</summary>
[CollectionDefinition(Name)]
public sealed class EtcdRegistryCollection : ICollectionFixture<EtcdServer>
{
    public const string Name = "etcd registry";
}

/// <summary>Real peer processes in etcd mode.</summary>
[CollectionDefinition(Name)]
public sealed class EtcdPeerCollection : ICollectionFixture<EtcdServer>
{
    public const string Name = "etcd peers";
}
