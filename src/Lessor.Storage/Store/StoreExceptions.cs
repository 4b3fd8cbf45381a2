namespace Lessor.Storage.Store;

/// <summary>A write the store refused because of what is (or is not) already in it; nothing was written.</summary>
public abstract class StoreException : Exception
{
    protected StoreException(string message)
        : base(message)
    {
    }
}

/// <summary>An import named an id that the store (or the same import) already holds.</summary>
public sealed class StoreConflictException : StoreException
{
    public StoreConflictException(string entity, string id, string message)
        : base(message)
    {
        Entity = entity;
        Id = id;
    }

    /// <summary>The kind of record: "platform", "site", "contract", "line"...</summary>
    public string Entity { get; }

    /// <summary>The conflicting id (for a line, "contract/line").</summary>
    public string Id { get; }
}

/// <summary>An import referred to a record that is neither in the store nor in the import.</summary>
public sealed class StoreReferenceException : StoreException
{
    public StoreReferenceException(string path, string entity, string id)
        : base($"{path} refers to {entity} '{id}', which is neither in the store nor in the import.")
    {
        Path = path;
        Entity = entity;
        Id = id;
    }

    /// <summary>Where the reference sits, e.g. <c>fabrics[fab-1].site</c>.</summary>
    public string Path { get; }

    /// <summary>The kind of record referred to.</summary>
    public string Entity { get; }

    /// <summary>The missing id.</summary>
    public string Id { get; }
}

/// <summary>
/// The store was migrated by a newer release than this one: this release does not know its schema, so it refuses to
/// open it and has written nothing (no migration lock taken, no row written). Upgrade this process, or roll the
/// store's release back.
/// </summary>
public sealed class StoreSchemaTooNewException : Exception
{
    public StoreSchemaTooNewException(int storeVersion, int knownVersion, string knownName)
        : base($"The store's schema is version {storeVersion}, newer than this release of lessor knows (version {knownVersion}, " +
               $"{knownVersion:D4}_{knownName}): it was migrated by a newer lessor. Nothing was written. Run a lessor that knows " +
               $"version {storeVersion}.")
    {
        StoreVersion = storeVersion;
        KnownVersion = knownVersion;
    }

    /// <summary>The highest migration the store records.</summary>
    public int StoreVersion { get; }

    /// <summary>The highest migration this release carries.</summary>
    public int KnownVersion { get; }
}
