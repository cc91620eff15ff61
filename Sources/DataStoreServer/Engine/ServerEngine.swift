public import DataStore
public import DataStoreAppSync
public import DataStoreSchema
import Foundation

/// The server's data operations — AppSync's resolvers for a versioned data source (PROTOCOL §3, §4):
/// versioned creates, updates and soft deletes with conditions and conflict strategies, `get`,
/// `list` and base/delta `sync` reads with opaque tokens, and expiry of tombstones and deltas.
///
/// The GraphQL layer turns requests into these calls; each returns items in the API's shape
/// (fields, `_version`, `_deleted`, `_lastChangedAt`, `__typename`) or throws a ``AppSyncError``
/// with AppSync's error type.
public final class ServerEngine: Sendable {
    /// The generated API.
    public let api: AppSyncSchema
    let store: any ItemStore
    let configuration: ServerConfiguration
    private let models: [String: ServerModel]
    /// The key that signs `nextToken`s.
    let tokenSecret: [UInt8]

    /// The page size when a read asks for none, and the largest page a read may ask for.
    public static let defaultLimit = 100
    public static let maximumLimit = 1_000
    /// How often a write re-reads after losing a race with another write to the same item.
    static let maximumAttempts = 32

    public init(document: SchemaDocument, store: any ItemStore, configuration: ServerConfiguration = .init()) {
        api = AppSyncSchema(document)
        self.store = store
        self.configuration = configuration
        models = Dictionary(uniqueKeysWithValues: document.models.map { ($0.schema.name, ServerModel($0)) })
        tokenSecret = configuration.tokenSecret ?? store.tokenSecret
    }

    func model(_ name: String) throws(AppSyncError) -> ServerModel {
        guard let model = models[name] else {
            throw .badRequest("\(name) is not a model of this API.")
        }
        return model
    }

    // MARK: Mutations

    /// `createX`: stores a new item at version 1.
    ///
    /// - Throws: `ConditionalCheckFailedException` when the key is taken (by an item or a
    ///   tombstone) or `condition` does not hold for "no item"; `BadRequestException` for input
    ///   that does not fit the model.
    public func create(
        _ modelName: String,
        input: [String: FieldValue],
        condition: FieldValue? = nil
    )
        async throws(AppSyncError) -> FieldValue
    {
        let model = try model(modelName)
        let now = configuration.clock.millisecondsSince1970
        var fields = input
        fields["_version"] = nil
        if model.schema.primaryKey == ["id"], fields["id"] == nil || fields["id"] == .null {
            fields["id"] = .string(UUID().uuidString.lowercased())
        }
        for name in [model.createdAtField, model.updatedAtField].compactMap(\.self)
        where fields[name] == nil || fields[name] == .null {
            fields[name] = Self.timestamp(now)
        }
        let item = StoredItem(
            fields: try checkedFields(fields, of: model, requireAll: true),
            version: 1,
            isDeleted: false,
            lastChangedAt: now
        )
        let key = try model.key(of: item.fields)
        if let condition = try model.predicate(condition, "condition"),
            !condition.matches(Array(repeating: .null, count: model.filterSchema.fields.count))
        {
            throw .conditionalCheckFailed("the condition does not hold, as no \(modelName) \(key) exists")
        }
        guard try await store.commit(model.name, key: key, expecting: nil, item: item) else {
            throw .conditionalCheckFailed("a \(modelName) with key \(key) already exists")
        }
        return model.output(item)
    }

    /// `updateX`: applies the input's fields to the stored item when `input._version` is the stored
    /// version; otherwise the model's conflict strategy decides.
    public func update(
        _ modelName: String,
        input: [String: FieldValue],
        condition: FieldValue? = nil
    )
        async throws(AppSyncError) -> FieldValue
    {
        let model = try model(modelName)
        let key = try model.key(of: input)
        let conditionPredicate = try model.predicate(condition, "condition")
        var changes = input
        for name in model.schema.primaryKey + ["_version", "_deleted", "_lastChangedAt"] { changes[name] = nil }
        let changed = try checkedFields(changes, of: model, requireAll: false)
        // Set by the backend unless the input sets it.
        let stampsUpdatedAt = model.updatedAtField.map { changed[$0] == nil } ?? false
        for _ in 1...Self.maximumAttempts {
            let current = try await storedItem(model, key)
            let now = configuration.clock.millisecondsSince1970
            var fields: [String: FieldValue]
            // The condition reads the stored item, or the merged one when a conflict was settled.
            var conditionSubject = current
            if Self.version(input) != current.version || current.isDeleted {
                switch try await resolveConflict(model, "update", input, condition, current, applying: changed) {
                case .write(let resolved):
                    fields = resolved
                    conditionSubject = current.with(resolved)
                case .remove:
                    if let deleted = try await commitTombstone(model, key, over: current, now: now) { return deleted }
                    continue
                }
            } else {
                fields = current.fields.merging(changed) { $1 }
            }
            if let conditionPredicate, !conditionPredicate.matches(model.filterValues(conditionSubject)) {
                throw .conditionalCheckFailed("the condition does not hold for \(modelName) \(key)")
            }
            if let written = try await commitNext(
                model,
                key,
                over: current,
                fields: fields,
                deleted: false,
                now: now,
                stampingUpdatedAt: stampsUpdatedAt
            ) {
                return written
            }
        }
        throw AppSyncError(.internalFailure, "\(modelName) \(key) changed too often to be updated; try again.")
    }

    /// `deleteX`: turns the item into a tombstone when `input._version` is the stored version.
    public func delete(
        _ modelName: String,
        input: [String: FieldValue],
        condition: FieldValue? = nil
    )
        async throws(AppSyncError) -> FieldValue
    {
        let model = try model(modelName)
        let key = try model.key(of: input)
        let conditionPredicate = try model.predicate(condition, "condition")
        for _ in 1...Self.maximumAttempts {
            let current = try await storedItem(model, key)
            let now = configuration.clock.millisecondsSince1970
            if Self.version(input) != current.version || current.isDeleted {
                // A stale delete cannot be merged; only a custom handler may settle it.
                guard case .custom = configuration.strategy(for: modelName), !current.isDeleted else {
                    throw conflict(model, current)
                }
                switch try await resolveConflict(model, "delete", input, condition, current, applying: [:]) {
                case .remove:
                    break
                case .write(let fields):
                    if let written = try await commitNext(
                        model,
                        key,
                        over: current,
                        fields: fields,
                        deleted: false,
                        now: now
                    ) {
                        return written
                    }
                    continue
                }
            }
            if let conditionPredicate, !conditionPredicate.matches(model.filterValues(current)) {
                throw .conditionalCheckFailed("the condition does not hold for \(modelName) \(key)")
            }
            if let deleted = try await commitTombstone(model, key, over: current, now: now) { return deleted }
        }
        throw AppSyncError(.internalFailure, "\(modelName) \(key) changed too often to be deleted; try again.")
    }

    /// The stored item (tombstones included) an update or delete starts from.
    private func storedItem(_ model: ServerModel, _ key: String) async throws(AppSyncError) -> StoredItem {
        guard let current = try await store.item(model.name, key: key) else {
            throw .conditionalCheckFailed("no \(model.name) with key \(key) exists")
        }
        return current
    }

    /// Writes the item's next version over `current` (a tombstone when `deleted`), stamping
    /// `updatedAt`; nil, writing nothing, when another write came first.
    private func commitNext(
        _ model: ServerModel,
        _ key: String,
        over current: StoredItem,
        fields: [String: FieldValue],
        deleted: Bool,
        now: Int64,
        stampingUpdatedAt: Bool = true
    ) async throws(AppSyncError) -> FieldValue? {
        var fields = fields
        if stampingUpdatedAt, let updatedAt = model.updatedAtField { fields[updatedAt] = Self.timestamp(now) }
        let next = StoredItem(fields: fields, version: current.version + 1, isDeleted: deleted, lastChangedAt: now)
        guard try await store.commit(model.name, key: key, expecting: current.version, item: next) else { return nil }
        return model.output(next)
    }

    /// Turns `current` into a tombstone at its next version; nil when another write came first.
    private func commitTombstone(
        _ model: ServerModel,
        _ key: String,
        over current: StoredItem,
        now: Int64
    ) async throws(AppSyncError) -> FieldValue? {
        try await commitNext(model, key, over: current, fields: current.fields, deleted: true, now: now)
    }

    /// A time as an `AWSDateTime` value.
    private static func timestamp(_ milliseconds: Int64) -> FieldValue {
        .string(Temporal.DateTime(millisecondsSince1970: milliseconds)!.iso8601String)
    }

    private enum Settlement {
        case write([String: FieldValue])
        case remove
    }

    /// What the model's strategy makes of a write whose version is not the stored one.
    private func resolveConflict(
        _ model: ServerModel,
        _ operation: String,
        _ input: [String: FieldValue],
        _ condition: FieldValue?,
        _ current: StoredItem,
        applying changes: [String: FieldValue]
    ) async throws(AppSyncError) -> Settlement {
        switch configuration.strategy(for: model.name) {
        case .optimisticConcurrency:
            throw conflict(model, current)
        case .automerge:
            // An update of a deleted item cannot be merged.
            if current.isDeleted { throw conflict(model, current) }
            return .write(Self.automerge(server: current.fields, incoming: changes))
        case .custom(let handler):
            let request = ConflictRequest(
                model: model.name,
                operation: operation,
                newItem: model.output(current.with(current.fields.merging(changes) { $1 })),
                existingItem: model.output(current),
                arguments: .object(["input": .object(input), "condition": condition ?? .null]),
                identity: nil
            )
            let resolution: ConflictResolution
            do {
                resolution = try await handler(request)
            } catch {
                throw AppSyncError(
                    .conflictUnhandled,
                    "The conflict handler of \(model.name) failed: \(error).",
                    data: model.output(current)
                )
            }
            switch resolution {
            case .reject:
                throw conflict(model, current)
            case .remove:
                return .remove
            case .resolve(let item):
                guard case .object(var fields) = item else {
                    throw AppSyncError(
                        .conflictUnhandled,
                        "The conflict handler of \(model.name) resolved to something that is not an item.",
                        data: model.output(current)
                    )
                }
                for name in ["_version", "_deleted", "_lastChangedAt", "__typename"] { fields[name] = nil }
                for name in model.schema.primaryKey { fields[name] = current.fields[name] }
                return .write(try checkedFields(fields, of: model, requireAll: true))
            }
        }
    }

    private func conflict(_ model: ServerModel, _ current: StoredItem) -> AppSyncError {
        AppSyncError(.conflictUnhandled, "Conflict resolver rejects mutation.", data: model.output(current))
    }

    /// AppSync's AUTOMERGE (PROTOCOL §4.2): the server keeps its scalar values; values it lacks
    /// (or holds as null) come from the incoming write; lists concatenate; objects merge member by
    /// member.
    static func automerge(server: [String: FieldValue], incoming: [String: FieldValue]) -> [String: FieldValue] {
        var merged = server
        for (name, value) in incoming {
            merged[name] = merge(server[name] ?? .null, value)
        }
        return merged
    }

    private static func merge(_ server: FieldValue, _ incoming: FieldValue) -> FieldValue {
        switch (server, incoming) {
        case (.null, _): incoming
        case (_, .null): server
        case (.list(let kept), .list(let added)): .list(kept + added)
        case (.object(let kept), .object(let added)): .object(automerge(server: kept, incoming: added))
        default: server
        }
    }

    private static func version(_ input: [String: FieldValue]) -> Int {
        if case .int(let version)? = input["_version"] { return version }
        return 0
    }

    /// The input's fields, each checked and converted; unknown names are refused, and with
    /// `requireAll` so are missing required fields.
    private func checkedFields(
        _ input: [String: FieldValue],
        of model: ServerModel,
        requireAll: Bool
    )
        throws(AppSyncError) -> [String: FieldValue]
    {
        var fields: [String: FieldValue] = [:]
        for name in input.keys.sorted() where model.schema.field(named: name) == nil {
            throw .badRequest(
                "\(model.name) has no field named \(name); its fields are "
                    + model.schema.fields.map(\.name).joined(separator: ", ") + "."
            )
        }
        for field in model.schema.fields {
            guard let value = input[field.name] else {
                if requireAll, field.isRequired {
                    throw .badRequest("The input of \(model.name) needs a value for \(field.name).")
                }
                continue
            }
            fields[field.name] = try model.normalize(value, for: field)
        }
        return fields
    }

    // MARK: Queries

    /// `getX`: the item with the given key, tombstones included (clients filter on `_deleted`).
    public func get(_ modelName: String, key: [String: FieldValue]) async throws(AppSyncError) -> FieldValue? {
        let model = try model(modelName)
        return try await store.item(modelName, key: model.key(of: key)).map(model.output)
    }

    /// One page of a read.
    public struct Page: Sendable {
        public let items: [FieldValue]
        public let nextToken: String?
        public let startedAt: Int64?
    }

    /// `syncX` (PROTOCOL §3.3): a base page (all items, tombstones within their TTL) or, when
    /// `lastSync` is within the delta log's TTL, a delta page (every write since `lastSync`).
    public func sync(
        _ modelName: String,
        filter: FieldValue? = nil,
        limit: Int? = nil,
        nextToken: String? = nil,
        lastSync: Int64? = nil
    ) async throws(AppSyncError) -> Page {
        let model = try model(modelName)
        let limit = try Self.checkedLimit(limit)
        let predicate = try model.predicate(filter, "filter")
        let digest = Self.digest(filter)
        let now = configuration.clock.millisecondsSince1970
        let token: PageToken
        if let nextToken {
            token = try continuation(nextToken, of: modelName, filterDigest: digest, from: [.base, .delta])
        } else if let lastSync, lastSync >= now - configuration.deltaSyncTTL.milliseconds {
            token = PageToken(
                model: modelName,
                source: .delta,
                after: "0",
                startedAt: now,
                lastSync: lastSync,
                filterDigest: digest
            )
        } else {
            token = PageToken(
                model: modelName,
                source: .base,
                after: "",
                startedAt: now,
                lastSync: nil,
                filterDigest: digest
            )
        }
        return try await read(model, token, limit: limit, predicate: predicate, now: now)
    }

    /// `listX`: a page of items (tombstones included), filtered.
    public func list(
        _ modelName: String,
        filter: FieldValue? = nil,
        limit: Int? = nil,
        nextToken: String? = nil
    )
        async throws(AppSyncError) -> Page
    {
        let model = try model(modelName)
        let limit = try Self.checkedLimit(limit)
        let predicate = try model.predicate(filter, "filter")
        let digest = Self.digest(filter)
        var token = PageToken(
            model: modelName,
            source: .list,
            after: "",
            startedAt: 0,
            lastSync: nil,
            filterDigest: digest
        )
        if let nextToken { token = try continuation(nextToken, of: modelName, filterDigest: digest, from: [.list]) }
        return try await read(
            model,
            token,
            limit: limit,
            predicate: predicate,
            now: configuration.clock.millisecondsSince1970
        )
    }

    /// The token a read continues from, refused unless it was issued for the same model, filter
    /// and kind of read.
    func continuation(
        _ nextToken: String,
        of model: String,
        filterDigest: String,
        from sources: Set<PageToken.Source>
    ) throws(AppSyncError) -> PageToken {
        let token = try PageToken(decoding: nextToken, secret: tokenSecret)
        guard token.model == model, token.filterDigest == filterDigest, sources.contains(token.source) else {
            throw .badRequest(
                "The nextToken belongs to another query; continue with the filter and model it came from."
            )
        }
        return token
    }

    /// Reads one page from where `token` points. `limit` counts items *read*, as AppSync's does, so
    /// a filtered page may hold fewer (even none) while more pages follow.
    private func read(
        _ model: ServerModel,
        _ token: PageToken,
        limit: Int,
        predicate: PredicateEvaluator?,
        now: Int64
    )
        async throws(AppSyncError) -> Page
    {
        var items: [FieldValue] = []
        let next: String?
        switch token.source {
        case .base, .list:
            let page = try await store.items(model.name, after: token.after.isEmpty ? nil : token.after, limit: limit)
            let expired = now - configuration.tombstoneTTL.milliseconds
            for (_, item) in page {
                if token.source == .base, item.isDeleted, item.lastChangedAt < expired { continue }
                if let predicate, !predicate.matches(model.filterValues(item)) { continue }
                items.append(model.output(item))
            }
            next = page.count == limit ? page.last?.key : nil
        case .range:
            // Range tokens continue `list(_:range:…)`; `continuation` does not hand them here.
            throw .badRequest("The nextToken belongs to a key query; continue it with the same arguments.")
        case .delta:
            let page = try await store.changes(
                model.name,
                since: token.lastSync ?? 0,
                after: Int64(token.after) ?? 0,
                limit: limit
            )
            for (_, item) in page where predicate?.matches(model.filterValues(item)) ?? true {
                items.append(model.output(item))
            }
            next = page.count == limit ? page.last.map { String($0.position) } : nil
        }
        let nextToken = next.map {
            PageToken(
                model: model.name,
                source: token.source,
                after: $0,
                startedAt: token.startedAt,
                lastSync: token.lastSync,
                filterDigest: token.filterDigest
            ).encode(secret: tokenSecret)
        }
        return Page(items: items, nextToken: nextToken, startedAt: token.source == .list ? nil : token.startedAt)
    }

    static func checkedLimit(_ limit: Int?) throws(AppSyncError) -> Int {
        guard let limit else { return defaultLimit }
        guard (1...maximumLimit).contains(limit) else {
            throw .badRequest("limit must be between 1 and \(maximumLimit); it was \(limit).")
        }
        return limit
    }

    static func digest(_ filter: FieldValue?) -> String {
        Base64URL.encode(Array(SHA256.digest(Array((filter ?? .null).jsonText.utf8)).prefix(12)))
    }

    // MARK: Changes, for subscriptions

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

    // MARK: Expiry

    /// Deletes tombstones older than the tombstone TTL and delta records older than the delta TTL.
    public func purgeExpired() async throws(AppSyncError) {
        let now = configuration.clock.millisecondsSince1970
        try await store.purge(
            tombstonesBefore: now - configuration.tombstoneTTL.milliseconds,
            changesBefore: now - configuration.deltaSyncTTL.milliseconds
        )
    }
}

extension StoredItem {
    func with(_ fields: [String: FieldValue]) -> StoredItem {
        StoredItem(fields: fields, version: version, isDeleted: isDeleted, lastChangedAt: lastChangedAt)
    }
}
