public import DataStore
public import DataStoreAppSync

/// `@auth` rules applied to reads and writes (PROTOCOL §5): every public operation of the data
/// source takes the caller; nil is the server itself, to which no rule applies.
extension DataSource {
    /// The items `caller` may reach with `operation` on `model`.
    ///
    /// - Throws: `Unauthorized` when no rule grants the operation to the caller.
    func access(_ operation: ModelOperation, _ model: ServerModel, _ caller: Caller?) throws(AppSyncError) -> ItemAccess
    {
        guard let caller else { return .all }
        return try model.policy.decide(operation, for: caller).access()
    }

    /// The items `caller` may reach with `operation` on the model `modelName`: what a subscription
    /// checks each event against.
    public func access(
        _ operation: ModelOperation,
        on modelName: String,
        for caller: Caller?
    ) throws(AppSyncError) -> ItemAccess {
        try access(operation, try model(modelName), caller)
    }

    /// `item` in the API's shape, with the fields `caller` may not read through `operation` as null.
    func output(
        _ item: StoredItem,
        of model: ServerModel,
        _ operation: ModelOperation,
        for caller: Caller?
    ) -> FieldValue {
        model.redacted(model.output(item), operation, for: caller)
    }

    /// An item as a subscriber with `caller`'s identity may see it (fields it may not read are
    /// null).
    public func redacted(_ item: FieldValue, of modelName: String, for caller: Caller?) -> FieldValue {
        guard let model = models[modelName] else { return item }
        return model.redacted(item, .listen, for: caller)
    }

    /// Fills the owner fields of `input` that a create by `caller` leaves empty with the caller's
    /// identity (a list field with a list of it), as the transformer's resolvers do.
    func fillingOwners(
        _ input: [String: FieldValue],
        of model: ServerModel,
        for caller: Caller?
    ) -> [String: FieldValue] {
        guard let caller else { return input }
        var fields = input
        for fill in model.policy.ownerFills(for: caller) {
            guard fields[fill.field] == nil || fields[fill.field] == .null, let identity = fill.values.first else {
                continue
            }
            if case .list? = model.schema.field(named: fill.field)?.type {
                fields[fill.field] = .list([.string(identity)])
            } else {
                fields[fill.field] = .string(identity)
            }
        }
        return fields
    }

    /// Refuses a write of `changed` over `current` (nil for a create) that the rules do not allow:
    /// an item outside the caller's reach, a changed owner without a rule that allows it outright,
    /// or a field whose own rules do not grant `operation`.
    func checkWrite(
        _ operation: ModelOperation,
        of model: ServerModel,
        _ access: ItemAccess,
        current: [String: FieldValue]?,
        result: [String: FieldValue],
        changed: [String: FieldValue],
        caller: Caller?
    ) throws(AppSyncError) {
        guard let caller else { return }
        let refusal = "Not Authorized to access \(operation.rawValue) on type \(model.name)"
        guard access.permits(current ?? result) else { throw AppSyncError(.notAuthorized, refusal) }
        if let current, case .matching = access {
            for field in model.ownershipFields.sorted() {
                guard let value = changed[field], value != (current[field] ?? .null) else { continue }
                throw AppSyncError(
                    .notAuthorized,
                    "\(refusal): only a rule that allows \(operation.rawValue) outright (a group, private or public rule) "
                        + "may change \(field)."
                )
            }
        }
        for (field, policy) in model.fieldPolicies.sorted(by: { $0.key < $1.key }) {
            guard let value = changed[field], value != .null, value != (current?[field] ?? .null) else { continue }
            let decision = policy.decide(operation, for: caller)
            let allowed = (try? decision.access())?.permits(current ?? result) ?? false
            if !allowed {
                throw AppSyncError(
                    .notAuthorized,
                    "Not Authorized to access \(operation.rawValue) on field \(field) of type \(model.name)"
                )
            }
        }
    }
}
