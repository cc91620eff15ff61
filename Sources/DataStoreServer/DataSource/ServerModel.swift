import DataStore
import DataStoreAppSync
import DataStoreSchema
import Foundation

/// What the server needs to know about one model to read and write its items.
struct ServerModel: Sendable {
    let definition: ModelDefinition
    var schema: ModelSchema { definition.schema }
    var name: String { schema.name }
    /// The schema filters and conditions are checked against: the model's fields plus the sync
    /// metadata (`_version`, `_deleted`, `_lastChangedAt`) that AppSync filters can test.
    let filterSchema: ModelSchema
    /// The timestamp fields the backend sets (nil when the model disables them).
    var createdAtField: String? { definition.options.createdAtField }
    var updatedAtField: String? { definition.options.updatedAtField }
    /// The model's `@auth` rules.
    let policy: AuthPolicy
    /// The rules of fields with their own `@auth`, by field: they alone decide who reads or
    /// writes that field.
    let fieldPolicies: [String: AuthPolicy]
    /// The single-valued fields rules name (owners, dynamic groups): only callers the rules allow
    /// outright may change them.
    let ownershipFields: Set<String>

    init(_ definition: ModelDefinition, authSettings: AuthSettings = AuthSettings()) {
        self.definition = definition
        let schema = definition.schema
        policy = AuthPolicy(modelName: schema.name, rules: definition.authRules, settings: authSettings)
        var fieldPolicies: [String: AuthPolicy] = [:]
        for field in definition.fields where !field.authRules.isEmpty {
            fieldPolicies[field.name] = AuthPolicy(
                modelName: schema.name,
                rules: field.authRules,
                settings: authSettings,
                fieldName: field.name
            )
        }
        self.fieldPolicies = fieldPolicies
        let rules = definition.authRules + definition.fields.flatMap(\.authRules)
        ownershipFields = Set(
            rules.compactMap { rule -> String? in
                switch rule.allow {
                case "owner": rule.ownerField ?? "owner"
                case "groups": rule.groupsField
                default: nil
                }
            }.filter { name in
                if case .list? = schema.field(named: name)?.type { false } else { true }
            }
        )
        filterSchema = ModelSchema(
            name: schema.name,
            pluralName: schema.pluralName,
            fields: schema.fields + [
                .optional("_version", .int), .optional("_deleted", .boolean), .optional("_lastChangedAt", .timestamp),
            ],
            primaryKey: schema.primaryKey
        )
    }

    /// The stored key of an item: the key field's value for single-field keys, else the JSON
    /// array of the key values.
    func key(of fields: [String: FieldValue]) throws(AppSyncError) -> String {
        var values: [FieldValue] = []
        for name in schema.primaryKey {
            guard let value = fields[name], value != .null else {
                throw .badRequest("The input of \(self.name) needs its key field \(name).")
            }
            if value == .string("") {
                throw .badRequest("The key field \(self.name).\(name) is empty; every key field needs a value.")
            }
            values.append(value)
        }
        if values.count == 1, case .string(let text) = values[0] { return text }
        return FieldValue.list(values).jsonText
    }

    /// The item's values in ``filterSchema`` field order, for predicate evaluation.
    func filterValues(_ item: StoredItem) -> [FieldValue] {
        schema.fields.map { item.fields[$0.name] ?? .null } + [
            .int(item.version), .bool(item.isDeleted), .int(Int(item.lastChangedAt)),
        ]
    }

    /// The item as the API returns it: fields, metadata and `__typename`.
    func output(_ item: StoredItem) -> FieldValue {
        var object = item.fields
        object["_version"] = .int(item.version)
        object["_deleted"] = item.isDeleted ? .bool(true) : .null
        object["_lastChangedAt"] = .int(Int(item.lastChangedAt))
        object["__typename"] = .string(name)
        return .object(object)
    }

    /// `output` (an item in the API's shape) without the values of fields whose own rules do not
    /// let `caller` read them through `operation` (they read as null).
    func redacted(_ output: FieldValue, _ operation: ModelOperation, for caller: Caller?) -> FieldValue {
        guard let caller, !fieldPolicies.isEmpty, case .object(var object) = output else { return output }
        for (field, policy) in fieldPolicies where object[field] != nil && object[field] != .null {
            let readable = (try? policy.decide(operation, for: caller).access())?.permits(object) ?? false
            if !readable { object[field] = .null }
        }
        return .object(object)
    }

    /// `changes` without the nulls it sets on fields whose own rules do not let `caller` update
    /// them on the item `current`: what such a caller reads is null, and sending it back must
    /// not erase the value.
    func keepingUnwritable(
        _ changes: [String: FieldValue],
        over current: [String: FieldValue],
        for caller: Caller?
    ) -> [String: FieldValue] {
        guard let caller, !fieldPolicies.isEmpty else { return changes }
        var kept = changes
        for (field, policy) in fieldPolicies where changes[field] == .null {
            let writable = (try? policy.decide(.update, for: caller).access())?.permits(current) ?? false
            if !writable { kept[field] = nil }
        }
        return kept
    }

    /// Checks one input value for `field`, in the stored form the client compares by.
    func normalize(_ value: FieldValue, for field: ModelField) throws(AppSyncError) -> FieldValue {
        let converted = field.type.storedForm(of: value)
        if let problem = field.type.problem(with: converted, isRequired: field.isRequired) {
            throw .badRequest("The value of \(name).\(field.name) is not valid: \(problem).")
        }
        return converted
    }

    /// The predicate of a `filter` or `condition` argument, checked against the model.
    func predicate(_ argument: FieldValue?, _ name: String) throws(AppSyncError) -> PredicateEvaluator? {
        guard let argument, argument != .null else { return nil }
        do {
            return try PredicateEvaluator(ModelPredicate(graphQLFilter: argument, path: name), schema: filterSchema)
        } catch {
            throw .badRequest(error.message)
        }
    }
}
