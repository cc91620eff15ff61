public import DataStore

extension ModelDocuments {
    /// The subscription filter (`ModelSubscription<Model>FilterInput`, PROTOCOL §1.1) that selects
    /// what `filter` — a sync or list filter of this model, as `graphQLFilter(for:)` writes it —
    /// selects; nil when `filter` says what a subscription filter cannot (`not`,
    /// `attributeExists`, `attributeType`, `size`, list and object fields, an operator a type's
    /// subscription input lacks). Without one, a client filters the changes as they arrive.
    public func subscriptionFilter(from filter: FieldValue) -> FieldValue? {
        guard case .object(let members) = filter, !members.isEmpty else { return nil }
        var converted: [String: FieldValue] = [:]
        for (key, value) in members {
            switch key {
            case "and", "or":
                guard case .list(let operands) = value, !operands.isEmpty else { return nil }
                var parts: [FieldValue] = []
                for operand in operands {
                    guard let part = subscriptionFilter(from: operand) else { return nil }
                    parts.append(part)
                }
                converted[key] = .list(parts)
            default:
                guard let field = schema.field(named: key),
                    let allowed = Self.subscriptionOperators(field.type),
                    case .object(let conditions) = value, !conditions.isEmpty,
                    conditions.keys.allSatisfy(allowed.contains)
                else { return nil }
                converted[key] = value
            }
        }
        return .object(converted)
    }

    /// The operators of a field type's subscription filter input, as the transformer writes it;
    /// nil for types it has none for (lists and non-model types are left to the client).
    static func subscriptionOperators(_ type: FieldType) -> Set<String>? {
        switch type {
        case .id, .string, .date, .time, .dateTime, .email, .json, .url, .phone, .ipAddress, .enumeration:
            ["ne", "eq", "le", "lt", "ge", "gt", "contains", "notContains", "between", "beginsWith", "in", "notIn"]
        case .int, .timestamp, .float:
            ["ne", "eq", "le", "lt", "ge", "gt", "between", "in", "notIn"]
        case .boolean:
            ["ne", "eq"]
        case .list, .embedded:
            nil
        }
    }
}
