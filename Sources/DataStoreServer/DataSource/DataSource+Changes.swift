import DataStore
public import DataStoreAppSync

/// The delta log as subscriptions read it, and its expiry.
extension DataSource {
    /// A committed write, ready to be matched against subscriptions.
    struct Change: Sendable {
        let position: Int64
        let model: String
        let kind: MutationKind
        /// The item's values in the order its model's filters read them.
        let filterValues: [FieldValue]
        /// The item as the API returns it.
        let item: FieldValue
    }

    /// The delta log's newest position: where a reader that starts now begins.
    func lastPosition() async throws(AppSyncError) -> Int64 {
        try await store.lastPosition()
    }

    /// The writes committed after log position `position`, in commit order. Records of models
    /// this API no longer has are skipped (their positions still count as read).
    func changes(after position: Int64, limit: Int) async throws(AppSyncError) -> (changes: [Change], last: Int64) {
        let records = try await store.log(after: position, limit: limit)
        var changes: [Change] = []
        changes.reserveCapacity(records.count)
        for record in records {
            guard let model = models[record.model] else { continue }
            let item = record.item
            let kind: MutationKind = item.isDeleted ? .deleted : item.version == 1 ? .created : .updated
            changes.append(
                Change(
                    position: record.position,
                    model: model.name,
                    kind: kind,
                    filterValues: model.filterValues(item),
                    item: model.output(item)
                )
            )
        }
        return (changes, records.last?.position ?? position)
    }

    /// The evaluator of a subscription's `filter` argument for `modelName`.
    func subscriptionFilter(_ modelName: String, _ filter: FieldValue?) throws(AppSyncError) -> PredicateEvaluator? {
        try model(modelName).predicate(filter, "filter")
    }

    /// Deletes tombstones older than the tombstone TTL and delta records older than the delta TTL.
    public func purgeExpired() async throws(AppSyncError) {
        let now = configuration.clock.millisecondsSince1970
        try await store.purge(
            tombstonesBefore: now - configuration.tombstoneTTL.milliseconds,
            changesBefore: now - configuration.deltaSyncTTL.milliseconds
        )
    }
}
