/// One stored change, as observers receive it.
struct StorageChange: Sendable {
    let modelName: String
    let kind: MutationKind
    let source: MutationSource
    let identifier: ModelIdentifier
    let values: [FieldValue]
    let model: any Model
    /// The results of subscribers' relation filters for this change (see
    /// ``ChangeHub/RelationFilter``), by subscriber; empty when none applied.
    var relationMatches: [UInt64: Bool] = [:]
}

/// The changes of one commit, delivered to observers together and in commit order.
struct ChangeBatch: Sendable {
    let changes: [StorageChange]
    let modelNames: Set<String>
    /// The store was cleared: observers of any model must start over.
    let isClear: Bool
    /// The models' sync state changed (their first sync finished): snapshots report it.
    let isSyncMark: Bool

    init(changes: [StorageChange]) {
        self.changes = changes
        modelNames = Set(changes.map(\.modelName))
        isClear = false
        isSyncMark = false
    }

    private init(names: Set<String>, isClear: Bool) {
        changes = []
        modelNames = names
        self.isClear = isClear
        isSyncMark = !isClear
    }

    static func clear(_ names: Set<String>) -> ChangeBatch { ChangeBatch(names: names, isClear: true) }
    static func synced(_ name: String) -> ChangeBatch { ChangeBatch(names: [name], isClear: false) }
}
