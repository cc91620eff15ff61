import DataStore
import DataStoreSchema

/// The filter, condition and subscription filter inputs of each model, as the transformer writes
/// them.
extension AppSyncSchemaWriter {
    mutating func writeEnumInputs(_ model: ModelDefinition, written: inout Set<String>) {
        for field in model.schema.fields {
            switch field.type {
            case .enumeration(let type) where written.insert(type.name).inserted:
                block("input Model\(type.name)Input", ["eq: \(type.name)", "ne: \(type.name)"])
            case .list(of: .enumeration(let type), _) where written.insert("[\(type.name)]").inserted:
                block(
                    "input Model\(type.name)ListInput",
                    [
                        "eq: [\(type.name)]", "ne: [\(type.name)]", "contains: \(type.name)",
                        "notContains: \(type.name)",
                    ]
                )
            default:
                break
            }
        }
    }

    mutating func writeFilter(_ model: ModelDefinition) {
        let name = model.schema.name
        var lines = model.schema.fields.compactMap { field in
            Self.filterInput(field.type).map { "\(field.name): \($0)" }
        }
        lines += [
            "and: [Model\(name)FilterInput]", "or: [Model\(name)FilterInput]", "not: Model\(name)FilterInput",
            "_deleted: ModelBooleanInput",
        ]
        block("input Model\(name)FilterInput", lines)
    }

    mutating func writeCondition(_ model: ModelDefinition) {
        let schema = model.schema
        let name = schema.name
        var lines: [String] = []
        var timestamps: [String] = []
        for (field, origin) in zip(schema.fields, model.fields.map(\.origin)) where !isKey(field, of: schema) {
            guard let input = Self.filterInput(field.type) else { continue }
            if origin == .timestamp {
                timestamps.append("\(field.name): \(input)")
            } else {
                lines.append("\(field.name): \(input)")
            }
        }
        lines += [
            "and: [Model\(name)ConditionInput]", "or: [Model\(name)ConditionInput]",
            "not: Model\(name)ConditionInput", "_deleted: ModelBooleanInput",
        ]
        block("input Model\(name)ConditionInput", lines + timestamps)
    }

    mutating func writeSubscriptionFilter(_ model: ModelDefinition) {
        let name = model.schema.name
        var lines = model.schema.fields.compactMap { field in
            Self.subscriptionFilterInput(field.type).map { "\(field.name): \($0)" }
        }
        lines += [
            "and: [ModelSubscription\(name)FilterInput]", "or: [ModelSubscription\(name)FilterInput]",
            "_deleted: ModelBooleanInput",
        ]
        block("input ModelSubscription\(name)FilterInput", lines)
    }

    /// The filter input type of a field, or nil when the transformer does not filter by it
    /// (non-model types, and lists of them).
    static func filterInput(_ type: FieldType) -> String? {
        switch type {
        case .id: "ModelIDInput"
        case .string, .date, .time, .dateTime, .email, .json, .url, .phone, .ipAddress: "ModelStringInput"
        case .int, .timestamp: "ModelIntInput"
        case .float: "ModelFloatInput"
        case .boolean: "ModelBooleanInput"
        case .enumeration(let enumType): "Model\(enumType.name)Input"
        case .list(of: .enumeration(let enumType), _): "Model\(enumType.name)ListInput"
        case .list(of: .embedded, _), .embedded: nil
        case .list(of: let element, _): filterInput(element)
        }
    }

    /// The subscription filter input type of a field (enums filter as strings), or nil.
    static func subscriptionFilterInput(_ type: FieldType) -> String? {
        switch type {
        case .id: "ModelSubscriptionIDInput"
        case .string, .date, .time, .dateTime, .email, .json, .url, .phone, .ipAddress, .enumeration:
            "ModelSubscriptionStringInput"
        case .int, .timestamp: "ModelSubscriptionIntInput"
        case .float: "ModelSubscriptionFloatInput"
        case .boolean: "ModelSubscriptionBooleanInput"
        case .list(of: .embedded, _), .embedded: nil
        case .list(of: let element, _): subscriptionFilterInput(element)
        }
    }
}
