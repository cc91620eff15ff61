public import DataStore

/// The pure decisions of a sync run, apart from the actors that carry them out.
public enum SyncPlan {
    /// Whether a model's next sync is a base (full) sync or a delta from `lastSync`.
    public enum Query: Hashable, Sendable {
        case base
        case delta(lastSync: Int64)
    }

    /// The query for a model whose sync stands at `lastSync` (the backend's `startedAt` of its
    /// last sync) and `lastFullSync` (when its last base sync began, on this device's clock) with
    /// `storedExpressionHash`, now that its expression hashes to `expressionHash`: base when it
    /// never synced, its last base sync is `fullSyncInterval` old or lies in the future (this
    /// device's clock went back), or its expression changed; delta otherwise (PROTOCOL §3.3).
    ///
    /// `lastSync` is never compared with this device's clock: the two clocks may disagree by
    /// minutes, and a device behind its backend would otherwise base-sync every time.
    public static func query(
        lastSync: Int64?,
        lastFullSync: Int64?,
        storedExpressionHash: String?,
        expressionHash: String?,
        now: Int64,
        fullSyncInterval: Duration
    ) -> Query {
        guard let lastSync, let lastFullSync, storedExpressionHash == expressionHash else { return .base }
        guard lastFullSync <= now, now - lastFullSync < fullSyncInterval.milliseconds else { return .base }
        return .delta(lastSync: lastSync)
    }

    /// When a model's next sync falls due, on this device's clock, after a sync of it began at
    /// `attemptedAt`: after `retryDelay` when that sync failed; otherwise when its base sync
    /// expires (`lastFullSync + fullSyncInterval`, counted from the attempt when a capped sync
    /// left it without one), or `deltaSyncInterval` after the attempt when that comes first.
    public static func nextSync(
        attemptedAt: Int64,
        failed: Bool,
        lastFullSync: Int64?,
        fullSyncInterval: Duration,
        deltaSyncInterval: Duration?,
        retryDelay: Duration
    ) -> Int64 {
        if failed { return attemptedAt.addingClamped(retryDelay.milliseconds) }
        let full = min(lastFullSync ?? attemptedAt, attemptedAt).addingClamped(fullSyncInterval.milliseconds)
        guard let deltaSyncInterval else { return full }
        return min(full, attemptedAt.addingClamped(deltaSyncInterval.milliseconds))
    }

    /// `schemas` in waves whose sync queries may run at once: a model comes in a wave after
    /// every model it belongs to (parents first, as ``order(_:)``), independent models share a
    /// wave.
    public static func waves(_ schemas: [ModelSchema]) -> [[ModelSchema]] {
        let ordered = order(schemas)
        var wave: [String: Int] = [:]
        var waves: [[ModelSchema]] = []
        for schema in ordered {
            // Parents placed before it (in a cycle, the one placed later waits for the other).
            let level =
                schema.relations.lazy.filter { $0.kind == .belongsTo }
                .compactMap { wave[$0.relatedModel] }.max().map { $0 + 1 } ?? 0
            wave[schema.name] = level
            if level == waves.count { waves.append([]) }
            waves[level].append(schema)
        }
        return waves
    }

    /// `schemas` in the order their sync queries run: a model after the models it belongs to
    /// (parents first), otherwise in the given order; models that belong to each other keep
    /// the given order among themselves.
    public static func order(_ schemas: [ModelSchema]) -> [ModelSchema] {
        let names = Set(schemas.map(\.name))
        let byName = Dictionary(schemas.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var ordered: [ModelSchema] = []
        var placed: Set<String> = []
        var visiting: Set<String> = []
        func place(_ schema: ModelSchema) {
            guard !placed.contains(schema.name), visiting.insert(schema.name).inserted else { return }
            for relation in schema.relations where relation.kind == .belongsTo && names.contains(relation.relatedModel)
            {
                if let parent = byName[relation.relatedModel] { place(parent) }
            }
            visiting.remove(schema.name)
            if placed.insert(schema.name).inserted { ordered.append(schema) }
        }
        for schema in schemas { place(schema) }
        return ordered
    }
}

extension Int64 {
    /// The sum, or the largest value when it would overflow (a due time "never").
    fileprivate func addingClamped(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
