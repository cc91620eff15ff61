public import Foundation

/// Where a ``DataStore`` keeps its data.
///
/// ```swift
/// let store = try await DataStore(models: AppModels.self, storage: .file(at: url))
/// let scratch = try await DataStore(models: AppModels.self, storage: .inMemory)
/// ```
public struct StorageConfiguration: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case file(String)
        case sqliteInMemory
        case ephemeral
    }

    let kind: Kind

    /// Whether a store here can sync: sync keeps its metadata in SQLite.
    package var canSync: Bool {
        if case .ephemeral = kind { return false }
        return true
    }
    /// An upper bound on the database size; writes beyond it fail with
    /// ``DataStoreError/Code/storageFull`` and roll back. Nil (the default) means no bound.
    public var maximumSizeInBytes: Int?

    private init(kind: Kind) {
        self.kind = kind
    }

    /// An SQLite database file at `url` (created if missing), in WAL mode: reads run concurrently
    /// with writes, and data survives restarts.
    public static func file(at url: URL) -> StorageConfiguration {
        StorageConfiguration(kind: .file(url.path(percentEncoded: false)))
    }

    /// An SQLite database file at `path`.
    public static func file(atPath path: String) -> StorageConfiguration {
        StorageConfiguration(kind: .file(path))
    }

    /// An SQLite database in memory: the same engine as a file, gone when the store closes.
    public static var inMemory: StorageConfiguration { StorageConfiguration(kind: .sqliteInMemory) }

    /// Swift collections, without SQLite: gone when the store closes. For tests and previews.
    public static var ephemeral: StorageConfiguration { StorageConfiguration(kind: .ephemeral) }

    /// The same storage with a size limit (see ``maximumSizeInBytes``).
    public func limited(toBytes bytes: Int) -> StorageConfiguration {
        var copy = self
        copy.maximumSizeInBytes = bytes
        return copy
    }

    /// The file path, for file storage.
    var path: String? {
        if case .file(let path) = kind { return path }
        return nil
    }
}
