/// A condition on a model's stored fields: a `Sendable` tree of field names, operators and values.
///
/// Typed code builds these from key paths through ``QueryPredicate``; the sync engine and the
/// server build them from GraphQL filter objects. Both evaluators (SQL and in-memory) give every
/// predicate the same meaning, following DynamoDB and AppSync:
///
/// - Strings compare by UTF-8 bytes (case-sensitive).
/// - `between` includes both ends.
/// - `contains` is a substring test on strings and a membership test on lists.
/// - A null (missing) field makes every test false except the negative ones (`ne`,
///   `notContains`, `notIn`), which are `not` of a false test and so true.
public indirect enum ModelPredicate: Hashable, Sendable {
    /// Matches every model.
    case all
    /// A test of one field.
    case field(String, PredicateOperator)
    /// Matches when every operand matches (an empty list matches everything).
    case and([ModelPredicate])
    /// Matches when any operand matches (an empty list matches nothing).
    case or([ModelPredicate])
    /// Matches when the operand does not.
    case not(ModelPredicate)
    /// A predicate built from a key path that is not a stored field. Using it throws
    /// ``DataStoreError/Code/unknownField``.
    case unresolvedKeyPath(String)
    /// Matches when a model related through the named relation matches the predicate (for a
    /// to-many relation: when any related model does). The predicate is on the related model.
    case related(String, ModelPredicate)

    /// The field names of the model itself that the predicate reads, in first-use order (fields of
    /// related models are not included).
    public var fieldNames: [String] {
        var names: [String] = []
        collectFieldNames(into: &names)
        return names
    }

    private func collectFieldNames(into names: inout [String]) {
        switch self {
        case .all, .unresolvedKeyPath, .related: break
        case .field(let name, _): if !names.contains(name) { names.append(name) }
        case .and(let operands), .or(let operands): for operand in operands { operand.collectFieldNames(into: &names) }
        case .not(let operand): operand.collectFieldNames(into: &names)
        }
    }
}

/// A test applied to one field's value.
public enum PredicateOperator: Hashable, Sendable {
    /// Equal.
    case eq(FieldValue)
    /// Not equal (true for null).
    case ne(FieldValue)
    /// Less than.
    case lt(FieldValue)
    /// Less than or equal.
    case le(FieldValue)
    /// Greater than.
    case gt(FieldValue)
    /// Greater than or equal.
    case ge(FieldValue)
    /// Between the two values, both included.
    case between(FieldValue, FieldValue)
    /// The string starts with the given string.
    case beginsWith(String)
    /// The string contains the substring, or the list contains the element.
    case contains(FieldValue)
    /// `not contains` (true for null).
    case notContains(FieldValue)
    /// The field's value is one of the values.
    case `in`([FieldValue])
    /// The field's value is none of the values (true for null).
    case notIn([FieldValue])
    /// `true`: the field is not null; `false`: the field is null.
    case attributeExists(Bool)

    /// The GraphQL filter name of the operator (`eq`, `beginsWith`, …).
    public var name: String {
        switch self {
        case .eq: "eq"
        case .ne: "ne"
        case .lt: "lt"
        case .le: "le"
        case .gt: "gt"
        case .ge: "ge"
        case .between: "between"
        case .beginsWith: "beginsWith"
        case .contains: "contains"
        case .notContains: "notContains"
        case .in: "in"
        case .notIn: "notIn"
        case .attributeExists: "attributeExists"
        }
    }
}

extension ModelPredicate {
    /// `lhs && rhs`, flattening nested ANDs and dropping `.all`.
    static func conjunction(_ operands: [ModelPredicate]) -> ModelPredicate {
        var flat: [ModelPredicate] = []
        for operand in operands {
            switch operand {
            case .all: continue
            case .and(let inner): flat.append(contentsOf: inner)
            default: flat.append(operand)
            }
        }
        if flat.isEmpty { return .all }
        if flat.count == 1 { return flat[0] }
        return .and(flat)
    }

    /// `lhs || rhs`, flattening nested ORs.
    static func disjunction(_ operands: [ModelPredicate]) -> ModelPredicate {
        var flat: [ModelPredicate] = []
        for operand in operands {
            if case .all = operand { return .all }
            if case .or(let inner) = operand { flat.append(contentsOf: inner) } else { flat.append(operand) }
        }
        if flat.count == 1 { return flat[0] }
        return .or(flat)
    }
}

extension ModelPredicate {
    /// Whether the predicate reads related models.
    public var usesRelations: Bool {
        switch self {
        case .all, .field, .unresolvedKeyPath: false
        case .related: true
        case .and(let operands), .or(let operands): operands.contains { $0.usesRelations }
        case .not(let operand): operand.usesRelations
        }
    }
}
