extension ModelPredicate {
    /// Reads an AppSync filter or condition object (`{"rating": {"gt": 4}, "or": [...]}`), as
    /// PROTOCOL §1.1 describes it: sibling keys are AND-ed; `and` and `or` take lists, `not` one
    /// object; every other key names a field and maps operators to operands.
    ///
    /// Which fields exist and whether operands fit their types is checked later, against a schema
    /// (the server's `PredicateEvaluator`).
    ///
    /// - Throws: ``DataStoreError/Code/invalidPredicate`` naming the path of the part that is not a
    ///   filter (`filter.or[1].rating.gt`), and what would be.
    public init(graphQLFilter filter: FieldValue, path: String = "filter") throws(DataStoreError) {
        guard case .object(let members) = filter else {
            throw Self.filterError(path, "must be an object such as {\"rating\": {\"gt\": 4}}")
        }
        var operands: [ModelPredicate] = []
        for key in members.keys.sorted() {
            let value = members[key]!
            let here = "\(path).\(key)"
            switch key {
            case "and", "or":
                // GraphQL coerces a single object to a one-element list.
                let items: [FieldValue]
                switch value {
                case .list(let list): items = list
                case .null: continue
                default: items = [value]
                }
                var parts: [ModelPredicate] = []
                for (index, item) in items.enumerated() {
                    parts.append(try ModelPredicate(graphQLFilter: item, path: "\(here)[\(index)]"))
                }
                operands.append(key == "and" ? .and(parts) : .or(parts))
            case "not":
                if value == .null { continue }
                operands.append(.not(try ModelPredicate(graphQLFilter: value, path: here)))
            default:
                guard case .object(let tests) = value else {
                    if value == .null { continue }
                    throw Self.filterError(here, "must be an object of operators such as {\"eq\": …}")
                }
                for name in tests.keys.sorted() {
                    let operand = tests[name]!
                    operands.append(.field(key, try Self.filterOperator(name, operand, path: "\(here).\(name)")))
                }
            }
        }
        self = operands.count == 1 ? operands[0] : .and(operands)
    }

    private static func filterOperator(
        _ name: String,
        _ operand: FieldValue,
        path: String
    ) throws(DataStoreError)
        -> PredicateOperator
    {
        switch name {
        case "eq": return .eq(operand)
        case "ne": return .ne(operand)
        case "lt": return .lt(operand)
        case "le": return .le(operand)
        case "gt": return .gt(operand)
        case "ge": return .ge(operand)
        case "contains": return .contains(operand)
        case "notContains": return .notContains(operand)
        case "between":
            guard case .list(let bounds) = operand, bounds.count == 2 else {
                throw filterError(path, "must be a list of two values, the lower and upper bound")
            }
            return .between(bounds[0], bounds[1])
        case "beginsWith":
            guard case .string(let prefix) = operand else { throw filterError(path, "must be a string") }
            return .beginsWith(prefix)
        case "in", "notIn":
            guard case .list(let values) = operand else { throw filterError(path, "must be a list of values") }
            return name == "in" ? .in(values) : .notIn(values)
        case "attributeExists":
            guard case .bool(let exists) = operand else { throw filterError(path, "must be true or false") }
            return .attributeExists(exists)
        case "attributeType", "size":
            throw filterError(
                path,
                "is not supported by this server; use eq, ne, lt, le, gt, ge, between, "
                    + "beginsWith, contains, notContains, in, notIn or attributeExists"
            )
        default:
            throw filterError(
                path,
                "is not a filter operator; use eq, ne, lt, le, gt, ge, between, beginsWith, "
                    + "contains, notContains, in, notIn or attributeExists"
            )
        }
    }

    private static func filterError(_ path: String, _ problem: String) -> DataStoreError {
        DataStoreError(code: .invalidPredicate, message: "The filter's \(path) \(problem).")
    }
}

/// Evaluates a predicate on a model's values with the store's in-memory semantics, for other
/// modules of this package (the server evaluates filters and conditions exactly as the client's
/// queries do).
package struct PredicateEvaluator: Sendable {
    private let resolved: ResolvedPredicate

    /// Checks `predicate` against `schema`.
    ///
    /// - Throws: ``DataStoreError/Code/unknownField`` or ``DataStoreError/Code/invalidPredicate``,
    ///   as queries do; predicates across relations are refused.
    package init(_ predicate: ModelPredicate, schema: ModelSchema) throws(DataStoreError) {
        resolved = try predicate.resolve(against: schema)
    }

    /// Whether the model whose values (in the schema's field order) are `values` matches.
    package func matches(_ values: [FieldValue]) -> Bool {
        resolved.evaluate(values)
    }
}

extension ModelPredicate {
    /// The predicate as an AppSync filter or condition input object for `schema`'s model
    /// (`{"rating": {"gt": 4}}`): the inverse of ``init(graphQLFilter:path:)``.
    ///
    /// - Throws: ``DataStoreError`` when a field is not one of the model's or an operand does not
    ///   fit its field.
    public func graphQLFilter(for schema: ModelSchema) throws(DataStoreError) -> FieldValue {
        try resolve(against: schema).graphQLFilter(schema: schema)
    }
}
