extension ResolvedPredicate {
    /// Evaluates the predicate on a model's values (in schema order), in memory.
    ///
    /// This is the reference semantics; the SQL compiler must agree with it on every input, which
    /// the differential tests check. A test of related models needs their rows: it is false here,
    /// and callers evaluate such predicates with ``evaluate(_:reading:)``.
    func evaluate(_ values: [FieldValue]) -> Bool {
        switch self {
        case .constant(let value):
            return value
        case .test(let index, _, let test):
            return Self.evaluate(test, on: values[index])
        case .and(let operands):
            for operand in operands where !operand.evaluate(values) { return false }
            return true
        case .or(let operands):
            for operand in operands where operand.evaluate(values) { return true }
            return false
        case .not(let operand):
            return !operand.evaluate(values)
        case .related:
            return false
        }
    }

    /// Evaluates the predicate on a model's values, reading related rows from `reader`.
    func evaluate(_ values: [FieldValue], reading reader: any StorageReading) throws(DataStoreError) -> Bool {
        switch self {
        case .constant, .test:
            return evaluate(values)
        case .and(let operands):
            for operand in operands where try !operand.evaluate(values, reading: reader) { return false }
            return true
        case .or(let operands):
            for operand in operands where try operand.evaluate(values, reading: reader) { return true }
            return false
        case .not(let operand):
            return try !operand.evaluate(values, reading: reader)
        case .related(let join, let inner):
            guard let key = join.localKey(values) else { return false }
            let match = join.targetPredicate(forKey: key)
            return try reader.exists(join.target, inner.isAlwaysTrue ? match : .and([match, inner]))
        }
    }

    static func evaluate(_ test: PredicateOperator, on value: FieldValue) -> Bool {
        switch test {
        case .eq(let operand): return FieldValue.compare(value, operand) == .equal
        case .ne(let operand): return FieldValue.compare(value, operand) != .equal
        case .lt(let operand): return FieldValue.compare(value, operand) == .less
        case .le(let operand):
            guard let order = FieldValue.compare(value, operand) else { return false }
            return order != .greater
        case .gt(let operand): return FieldValue.compare(value, operand) == .greater
        case .ge(let operand):
            guard let order = FieldValue.compare(value, operand) else { return false }
            return order != .less
        case .between(let lower, let upper):
            guard let low = FieldValue.compare(value, lower), let high = FieldValue.compare(value, upper) else {
                return false
            }
            return low != .less && high != .greater
        case .beginsWith(let prefix):
            guard case .string(let text) = value else { return false }
            return text.utf8HasPrefix(prefix)
        case .contains(let operand):
            return contains(value, operand)
        case .notContains(let operand):
            return !contains(value, operand)
        case .in(let operands):
            return operands.contains { FieldValue.compare(value, $0) == .equal }
        case .notIn(let operands):
            return !operands.contains { FieldValue.compare(value, $0) == .equal }
        case .attributeExists(let exists):
            return value.isNull != exists
        }
    }

    private static func contains(_ value: FieldValue, _ operand: FieldValue) -> Bool {
        switch (value, operand) {
        case (.string(let text), .string(let substring)):
            return text.utf8Contains(substring)
        case (.list(let elements), _):
            return elements.contains { FieldValue.compare($0, operand) == .equal }
        default:
            return false
        }
    }
}
