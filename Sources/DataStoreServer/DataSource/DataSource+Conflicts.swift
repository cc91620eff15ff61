import DataStore
import DataStoreAppSync

/// What a model's conflict strategy makes of a write whose version is not the stored one
/// (PROTOCOL §4.2): optimistic concurrency rejects it, AUTOMERGE merges it, a custom handler
/// decides.
extension DataSource {
    enum Settlement {
        case write([String: FieldValue])
        case remove
    }

    /// What the model's strategy makes of a write whose version is not the stored one.
    func resolveConflict(
        _ model: ServerModel,
        _ operation: String,
        _ input: [String: FieldValue],
        _ condition: FieldValue?,
        _ current: StoredItem,
        applying changes: [String: FieldValue],
        caller: Caller?
    ) async throws(AppSyncError) -> Settlement {
        switch configuration.strategy(for: model.name) {
        case .optimisticConcurrency:
            throw conflict(model, current)
        case .automerge:
            // An update of a deleted item cannot be merged.
            if current.isDeleted { throw conflict(model, current) }
            return .write(AutoMerge.merge(server: current.fields, incoming: changes))
        case .custom(let handler):
            let request = ConflictRequest(
                model: model.name,
                operation: operation,
                newItem: model.output(current.with(current.fields.merging(changes) { $1 })),
                existingItem: model.output(current),
                arguments: .object(["input": .object(input), "condition": condition ?? .null]),
                identity: caller.map(Self.identity)
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

    /// The caller as AppSync's `$ctx.identity` shows it to a conflict handler: nil for API keys;
    /// for tokens `sub`, `issuer`, `username`, `groups` and every claim.
    static func identity(_ caller: Caller) -> FieldValue {
        guard caller.provider != .apiKey else { return .null }
        let first = { (claim: String) -> FieldValue in caller.values(of: claim).first.map { .string($0) } ?? .null }
        return .object([
            "sub": first("sub"),
            "issuer": first("iss"),
            "username": first("username"),
            "groups": .list(caller.values(of: "cognito:groups").map { .string($0) }),
            "claims": .object(caller.claims),
        ])
    }

    func conflict(_ model: ServerModel, _ current: StoredItem) -> AppSyncError {
        AppSyncError(.conflictUnhandled, "Conflict resolver rejects mutation.", data: model.output(current))
    }
}
