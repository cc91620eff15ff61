public import DataStore
public import DataStoreAppSync

/// One stored item of a model: its fields and its sync metadata (PROTOCOL §3.4).
public struct StoredItem: Hashable, Sendable {
    /// The item's fields by name, in the stored forms the client uses (so filters compare alike).
    public var fields: [String: FieldValue]
    /// 1 after the create, +1 per successful write including the delete.
    public var version: Int
    /// Whether the item is a tombstone.
    public var isDeleted: Bool
    /// When the item was last written, in milliseconds since 1970.
    public var lastChangedAt: Int64

    /// An item with its fields and sync metadata.
    public init(fields: [String: FieldValue], version: Int, isDeleted: Bool, lastChangedAt: Int64) {
        self.fields = fields
        self.version = version
        self.isDeleted = isDeleted
        self.lastChangedAt = lastChangedAt
    }
}

/// One record of the delta log: an item's state after one write.
public struct LogRecord: Sendable {
    /// The record's place in the log; later writes have larger positions.
    public let position: Int64
    /// The item's model.
    public let model: String
    /// The item as written.
    public let item: StoredItem

    /// The record at `position` of the log: `item` of `model` as a write left it.
    public init(position: Int64, model: String, item: StoredItem) {
        self.position = position
        self.model = model
        self.item = item
    }
}

/// The items of one model whose key fields have given values, in the order of a sort key: what a
/// `listX` with key arguments, an index's query (`@index(queryField:)`) and a relation field read,
/// as DynamoDB's Query does on a table or index.
///
/// An item lacking an `equal` field or a sort key field is not in the range (a DynamoDB index is
/// sparse in the same way).
public struct KeyRange: Hashable, Sendable {
    /// What orders the range.
    public enum SortKey: Hashable, Sendable {
        /// Nothing: items in key order.
        case none
        /// One field's value: numbers by value when `numeric`, otherwise text by its UTF-8 bytes.
        case field(String, numeric: Bool)
        /// Several fields' values as text joined with `#`, compared by UTF-8 bytes (DynamoDB's
        /// composite sort key).
        case composite([String])
    }

    /// A condition on the sort key value, with operands in its form (numbers for a numeric field,
    /// text otherwise, `#`-joined for a composite key).
    public enum Condition: Hashable, Sendable {
        case equal(FieldValue)
        case less(FieldValue)
        case lessOrEqual(FieldValue)
        case greater(FieldValue)
        case greaterOrEqual(FieldValue)
        /// Inclusive at both ends.
        case between(FieldValue, FieldValue)
        case beginsWith(String)
    }

    /// The fields that must have these values (stored forms), by name.
    public var equal: [String: FieldValue]
    /// What the range is ordered by.
    public var sortKey: SortKey
    /// The condition on the sort key value; nil reads every sort value.
    public var condition: Condition?
    /// Whether the largest sort value comes first.
    public var descending: Bool

    /// A range fixing `equal`, ordered by `sortKey`, limited by `condition`.
    public init(
        equal: [String: FieldValue],
        sortKey: SortKey = .none,
        condition: Condition? = nil,
        descending: Bool = false
    ) {
        self.equal = equal
        self.sortKey = sortKey
        self.condition = condition
        self.descending = descending
    }
}

/// An index over a model's items that makes the ``KeyRange`` reads fixing `equal` and ordered by
/// `sortKey` seek instead of scanning.
public struct KeyIndex: Hashable, Sendable {
    /// The model whose items the index covers.
    public var model: String
    /// The fields the reads fix, in the index's order.
    public var equal: [String]
    /// What the reads are ordered by.
    public var sortKey: KeyRange.SortKey

    /// An index of `model`'s items fixing `equal`, ordered by `sortKey`.
    public init(model: String, equal: [String], sortKey: KeyRange.SortKey) {
        self.model = model
        self.equal = equal
        self.sortKey = sortKey
    }

    /// The index a read of `range` can seek in.
    init(model: String, range: KeyRange) {
        self.init(model: model, equal: range.equal.keys.sorted(), sortKey: range.sortKey)
    }

    /// A name for the index, the same for the same index wherever it is made (the fixed fields'
    /// order does not matter: the index has them in name order).
    var name: String {
        var description = FieldValue.list([.string(model), .list(equal.sorted().map(FieldValue.string))])
        switch sortKey {
        case .none: break
        case .field(let name, let numeric): description = .list([description, .string(name), .bool(numeric)])
        case .composite(let names): description = .list([description, .list(names.map(FieldValue.string))])
        }
        let digest = SHA256.digest(Array(description.jsonText.utf8)).prefix(12)
        return "items_key_"
            + digest.map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined()
    }
}

/// Where an item is in a ``KeyRange``: its sort key value, then its key (which orders items with
/// equal sort values).
public struct RangePosition: Hashable, Sendable {
    /// The sort key value as the store computed it (`.null` when the range has no sort key).
    public var sortValue: FieldValue
    /// The item's key.
    public var key: String

    /// The position of the item with key `key` and sort value `sortValue`.
    public init(sortValue: FieldValue, key: String) {
        self.sortValue = sortValue
        self.key = key
    }
}

/// Where the server keeps items and the delta log: embedded SQLite or PostgreSQL.
///
/// Writes are optimistic: ``commit(_:key:expecting:item:)`` succeeds only if the stored version is
/// still the one the caller read, so conflict handling (which may call out to a webhook) never
/// holds a transaction open, and concurrent writers to one item stay linear.
public protocol ItemStore: Sendable {
    /// A random key created with the database and kept in it, which signs pagination tokens.
    ///
    /// - Throws: `AppSyncError` (`InternalFailureException`) when the store was not set up.
    var tokenSecret: [UInt8] { get throws(AppSyncError) }

    /// Readies the database once the store's connections run: creates its tables when missing
    /// and reads the token key. The server calls it before it serves; calling it again does
    /// nothing.
    func setUp() async throws(AppSyncError)

    /// The item of `model` stored under `key`, tombstones included.
    func item(_ model: String, key: String) async throws(AppSyncError) -> StoredItem?

    /// Stores `item` under `key` if the stored version is `expected` (nil: nothing is stored), and
    /// appends it to the delta log, in one transaction. Returns false, writing nothing, when
    /// another write came first.
    func commit(
        _ model: String,
        key: String,
        expecting expected: Int?,
        item: StoredItem
    ) async throws(AppSyncError)
        -> Bool

    /// Items of `model` in key order, after `key` (exclusive), at most `limit`.
    func items(
        _ model: String,
        after key: String?,
        limit: Int
    ) async throws(AppSyncError) -> [(key: String, item: StoredItem)]

    /// Items of `model` in `range`, in its order, after `position` (exclusive), at most `limit`.
    func items(
        _ model: String,
        in range: KeyRange,
        after position: RangePosition?,
        limit: Int
    ) async throws(AppSyncError) -> [(position: RangePosition, item: StoredItem)]

    /// Creates the indexes that are missing (existing ones are kept), so that key range reads
    /// seek. Reads are correct without them, only slower.
    func prepare(_ indexes: [KeyIndex]) async throws(AppSyncError)

    /// Delta-log records of `model` changed at or after `since` (ms), in log order, after log
    /// position `position` (exclusive), at most `limit`.
    func changes(
        _ model: String,
        since: Int64,
        after position: Int64,
        limit: Int
    ) async throws(AppSyncError)
        -> [(position: Int64, item: StoredItem)]

    /// Delta-log records of every model after log position `position` (exclusive), in log order,
    /// at most `limit`: the feed subscriptions are served from.
    ///
    /// A record never becomes visible behind one already read (a store whose writers commit
    /// concurrently waits for the writes in flight), so a reader that remembers the last position
    /// it saw misses nothing.
    func log(after position: Int64, limit: Int) async throws(AppSyncError) -> [LogRecord]

    /// The newest position of the delta log (0 when it is empty): where a reader that starts now
    /// begins.
    func lastPosition() async throws(AppSyncError) -> Int64

    /// Calls `ring` after every write committed to this store — by this process and, when the
    /// database is shared, by every other — and once when it starts following, as writes may
    /// have been committed since the caller last read the log. Runs until cancelled; throws when
    /// the store's connection is lost, so the caller can follow again after a pause.
    func followCommits(_ ring: @escaping @Sendable () -> Void) async throws(AppSyncError)

    /// Deletes tombstones last changed before `tombstonesBefore` and delta records before
    /// `changesBefore` (both in ms).
    func purge(tombstonesBefore: Int64, changesBefore: Int64) async throws(AppSyncError)

    /// Releases the store's connections.
    func close() async
}

extension ItemStore {
    /// Nothing to ready: stores that open their database when made (SQLite) are set up already.
    public func setUp() async throws(AppSyncError) {}
}
