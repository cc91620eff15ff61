public import DataStore
public import DataStoreAppSync
import Foundation

/// Versioned writes (PROTOCOL §4): creates at version 1, updates and soft deletes that commit
/// only over the version they read.
extension DataSource {
    /// The mutation of `kind`: ``create(_:input:condition:as:)``, ``update(_:input:condition:as:)`` or
    /// ``delete(_:input:condition:as:)``.
    public func write(
        _ kind: MutationKind,
        _ modelName: String,
        input: [String: FieldValue],
        condition: FieldValue? = nil,
        as caller: Caller? = nil
    ) async throws(AppSyncError) -> FieldValue {
        switch kind {
        case .created: try await create(modelName, input: input, condition: condition, as: caller)
        case .updated: try await update(modelName, input: input, condition: condition, as: caller)
        case .deleted: try await delete(modelName, input: input, condition: condition, as: caller)
        }
    }

    /// `createX`: stores a new item at version 1.
    ///
    /// - Throws: `ConditionalCheckFailedException` when the key is taken (by an item or a
    ///   tombstone) or `condition` does not hold for "no item"; `BadRequestException` for input
    ///   that does not fit the model; `Unauthorized` when the rules do not let `caller` create
    ///   it (an owner field left empty is filled with the caller's identity first).
    public func create(
        _ modelName: String,
        input: [String: FieldValue],
        condition: FieldValue? = nil,
        as caller: Caller? = nil
    )
        async throws(AppSyncError) -> FieldValue
    {
        let model = try model(modelName)
        let access = try access(.create, model, caller)
        let now = configuration.clock.millisecondsSince1970
        var fields = fillingOwners(input, of: model, for: caller)
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
        try checkWrite(
            .create,
            of: model,
            access,
            current: nil,
            result: item.fields,
            changed: item.fields,
            caller: caller
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
        return output(item, of: model, .get, for: caller)
    }

    /// `updateX`: applies the input's fields to the stored item when `input._version` is the stored
    /// version; otherwise the model's conflict strategy decides.
    ///
    /// An update of a tombstone at the tombstone's own version brings the item back: the client
    /// saw the deletion and writes the record again (a deleted id re-created). AppSync answers
    /// `ConflictUnhandled` there, which a client can only settle by losing the re-creation; an
    /// update over any other version of a tombstone still meets the conflict path.
    public func update(
        _ modelName: String,
        input: [String: FieldValue],
        condition: FieldValue? = nil,
        as caller: Caller? = nil
    )
        async throws(AppSyncError) -> FieldValue
    {
        let model = try model(modelName)
        let access = try access(.update, model, caller)
        let key = try model.key(of: input)
        let conditionPredicate = try model.predicate(condition, "condition")
        var changes = input
        for name in model.schema.primaryKey + ["_version", "_deleted", "_lastChangedAt"] { changes[name] = nil }
        if case .matching = access {
            // A client that sends its whole record sends an owner it has not learnt yet as null:
            // that keeps the owner (only a rule allowing the update outright may clear it).
            for name in model.ownershipFields where changes[name] == .null { changes[name] = nil }
        }
        let changed = try checkedFields(changes, of: model, requireAll: false)
        // Set by the backend unless the input sets it.
        let stampsUpdatedAt = model.updatedAtField.map { changed[$0] == nil } ?? false
        return try await writeVersioned(model, key, "updated", caller) { current, now throws(AppSyncError) in
            // A field the caller may not write, sent as null (a client sends back the null it
            // read), keeps its value.
            let changed = model.keepingUnwritable(changed, over: current.fields, for: caller)
            try checkWrite(
                .update,
                of: model,
                access,
                current: current.fields,
                result: current.fields,
                changed: changed,
                caller: caller
            )
            var fields: [String: FieldValue]
            // The condition reads the stored item, or the merged one when a conflict was settled.
            var conditionSubject = current
            if Self.version(input) != current.version {
                switch try await resolveConflict(
                    model,
                    "update",
                    input,
                    condition,
                    current,
                    applying: changed,
                    caller: caller
                ) {
                case .write(let resolved):
                    fields = resolved
                    conditionSubject = current.with(resolved)
                case .remove:
                    return try await commitTombstone(model, key, over: current, now: now)
                }
            } else {
                fields = current.fields.merging(changed) { $1 }
            }
            if let conditionPredicate, !conditionPredicate.matches(model.filterValues(conditionSubject)) {
                throw .conditionalCheckFailed("the condition does not hold for \(modelName) \(key)")
            }
            return try await commitNext(
                model,
                key,
                over: current,
                fields: fields,
                deleted: false,
                now: now,
                stampingUpdatedAt: stampsUpdatedAt
            )
        }
    }

    /// `deleteX`: turns the item into a tombstone when `input._version` is the stored version.
    public func delete(
        _ modelName: String,
        input: [String: FieldValue],
        condition: FieldValue? = nil,
        as caller: Caller? = nil
    )
        async throws(AppSyncError) -> FieldValue
    {
        let model = try model(modelName)
        let access = try access(.delete, model, caller)
        let key = try model.key(of: input)
        let conditionPredicate = try model.predicate(condition, "condition")
        return try await writeVersioned(model, key, "deleted", caller) { current, now throws(AppSyncError) in
            try checkWrite(
                .delete,
                of: model,
                access,
                current: current.fields,
                result: current.fields,
                changed: [:],
                caller: caller
            )
            if Self.version(input) != current.version || current.isDeleted {
                // A stale delete cannot be merged; only a custom handler may settle it.
                guard case .custom = configuration.strategy(for: modelName), !current.isDeleted else {
                    throw conflict(model, current)
                }
                switch try await resolveConflict(
                    model,
                    "delete",
                    input,
                    condition,
                    current,
                    applying: [:],
                    caller: caller
                ) {
                case .remove:
                    break
                case .write(let fields):
                    return try await commitNext(model, key, over: current, fields: fields, deleted: false, now: now)
                }
            }
            if let conditionPredicate, !conditionPredicate.matches(model.filterValues(current)) {
                throw .conditionalCheckFailed("the condition does not hold for \(modelName) \(key)")
            }
            return try await commitTombstone(model, key, over: current, now: now)
        }
    }

    /// The read–decide–commit loop of updates and deletes: reads the stored item (tombstones
    /// included), lets `decide` write its next version, and when another write committed first
    /// (`decide` returns nil) reads again and decides anew. A webhook or handler that `decide`
    /// awaits never holds a transaction: the commit is conditional on the version read.
    ///
    /// The item written and the server's copy in a `ConflictUnhandled` come back as `caller` may
    /// read them: without the fields it may not read, and a conflict without the copy at all
    /// when it may not read the item.
    private func writeVersioned(
        _ model: ServerModel,
        _ key: String,
        _ verb: String,
        _ caller: Caller?,
        _ decide: (_ current: StoredItem, _ now: Int64) async throws(AppSyncError) -> FieldValue?
    ) async throws(AppSyncError) -> FieldValue {
        for _ in 1...Self.maximumAttempts {
            let current = try await storedItem(model, key)
            do {
                if let written = try await decide(current, configuration.clock.millisecondsSince1970) {
                    return model.redacted(written, .get, for: caller)
                }
            } catch  where error.errorType == .conflictUnhandled && caller != nil {
                var answer = error
                if case .object(let fields)? = error.data,
                    (try? access(.get, model, caller))?.permits(fields) == true
                {
                    answer.data = model.redacted(.object(fields), .get, for: caller)
                } else {
                    answer.data = nil
                }
                throw answer
            }
        }
        throw AppSyncError(.internalFailure, "\(model.name) \(key) changed too often to be \(verb); try again.")
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

    private static func version(_ input: [String: FieldValue]) -> Int {
        if case .int(let version)? = input["_version"] { return version }
        return 0
    }

    /// The input's fields, each checked and converted; unknown names are refused, and with
    /// `requireAll` so are missing required fields.
    func checkedFields(
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
}

extension StoredItem {
    func with(_ fields: [String: FieldValue]) -> StoredItem {
        StoredItem(fields: fields, version: version, isDeleted: isDeleted, lastChangedAt: lastChangedAt)
    }
}
