extension ResolvedPredicate {
    /// The predicate as an AppSync filter/condition input object
    /// (`{"rating": {"gt": 4}, "and": [...]}`).
    func graphQLFilter(schema: ModelSchema) -> FieldValue {
        switch self {
        case .constant(true):
            return .object([:])
        case .constant(false):
            // No AppSync operator is always false; `id ne id`-style tricks do not exist, so use an
            // empty OR, which AppSync evaluates as false.
            return .object(["or": .list([])])
        case .test(_, let field, let test):
            let operand: FieldValue
            switch test {
            case .eq(let value), .ne(let value), .lt(let value), .le(let value), .gt(let value), .ge(let value),
                .contains(let value), .notContains(let value):
                operand = value
            case .between(let lower, let upper): operand = .list([lower, upper])
            case .beginsWith(let prefix): operand = .string(prefix)
            case .in(let values), .notIn(let values): operand = .list(values)
            case .attributeExists(let exists): operand = .bool(exists)
            }
            return .object([field.name: .object([test.name: operand])])
        case .and(let operands):
            return .object(["and": .list(operands.map { $0.graphQLFilter(schema: schema) })])
        case .or(let operands):
            return .object(["or": .list(operands.map { $0.graphQLFilter(schema: schema) })])
        case .not(let operand):
            return .object(["not": operand.graphQLFilter(schema: schema)])
        case .related:
            // AppSync filters cannot follow relations; callers refuse such predicates first.
            preconditionFailure("a predicate across relations has no AppSync filter form")
        }
    }
}
