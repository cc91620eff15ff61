public import DataStore

/// The pure decisions of a sync run, apart from the actors that carry them out.
public enum SyncPlan {
    /// Whether a model's next sync is a base (full) sync or a delta from `lastSync`.
    public enum Query: Hashable, Sendable {
        case base
        case delta(lastSync: Int64)
    }

    /// The query for a model whose sync stands at `lastSync`/`lastFullSync` with
    /// `storedExpressionHash`, now that its expression hashes to `expressionHash`: base when it
    /// never synced, its last base sync is older than `fullSyncInterval` or lies in the future,
    /// or its expression changed; delta otherwise (PROTOCOL §3.3).
    public static func query(
        lastSync: Int64?,
        lastFullSync: Int64?,
        storedExpressionHash: String?,
        expressionHash: String?,
        now: Int64,
        fullSyncInterval: Duration
    ) -> Query {
        guard let lastSync, let lastFullSync, storedExpressionHash == expressionHash else { return .base }
        let (seconds, attoseconds) = fullSyncInterval.components
        let interval = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        guard lastSync <= now, lastFullSync <= now, now - lastFullSync < interval else { return .base }
        return .delta(lastSync: lastSync)
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
