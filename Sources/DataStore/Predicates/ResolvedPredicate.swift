/// A predicate checked against a model schema: field names resolved to positions, operands checked
/// against the field types and put in their stored form. Both evaluators run this form.
indirect enum ResolvedPredicate: Sendable, Hashable {
    case constant(Bool)
    case test(Int, ModelField, PredicateOperator)
    case and([ResolvedPredicate])
    case or([ResolvedPredicate])
    case not(ResolvedPredicate)
    /// A related row (any, for a to-many relation) matches the inner predicate, which is resolved
    /// against the join's target.
    case related(RelationJoin, ResolvedPredicate)

    var isAlwaysTrue: Bool {
        if case .constant(true) = self { return true }
        return false
    }

    /// Whether evaluating the predicate reads related rows.
    var usesRelations: Bool {
        switch self {
        case .constant, .test: false
        case .related: true
        case .and(let operands), .or(let operands): operands.contains { $0.usesRelations }
        case .not(let operand): operand.usesRelations
        }
    }

    /// The models whose rows the predicate reads, its own excluded.
    var relatedModelNames: Set<String> {
        switch self {
        case .constant, .test: []
        case .related(let join, let inner): inner.relatedModelNames.union([join.target.name])
        case .and(let operands), .or(let operands): operands.reduce(into: []) { $0.formUnion($1.relatedModelNames) }
        case .not(let operand): operand.relatedModelNames
        }
    }
}

extension ModelPredicate {
    /// Checks the predicate against `schema`.
    ///
    /// - Throws: ``DataStoreError/Code/unknownField`` for a field the model does not store;
    ///   ``DataStoreError/Code/invalidPredicate`` for an operator or operand that does not fit the
    ///   field's type.
    func resolve(against schema: ModelSchema) throws(DataStoreError) -> ResolvedPredicate {
        try resolve(against: schema, models: nil)
    }

    /// Checks the predicate against `schema`, following relations through the registered models.
    ///
    /// - Throws: as ``resolve(against:)``, and ``DataStoreError/Code/unknownField`` for a relation
    ///   the model does not have.
    func resolve(against schema: ModelSchema, models: RegisteredModels?) throws(DataStoreError) -> ResolvedPredicate {
        switch self {
        case .all:
            return .constant(true)
        case .unresolvedKeyPath(let description):
            throw DataStoreError(
                code: .unknownField,
                message: "The key path \(description) does not name a stored field of \(schema.name). "
                    + "Use a key path to one of: \(schema.fields.map(\.name).joined(separator: ", ")).",
                model: schema.name
            )
        case .field(let name, let test):
            guard let index = schema.fieldIndex(named: name) else {
                throw DataStoreError.unknownField(name, in: schema.name)
            }
            let field = schema.fields[index]
            do {
                return .test(index, field, try Self.check(test, on: field))
            } catch {
                throw error.locating(model: schema.name, field: name)
            }
        case .and(let operands):
            var resolved: [ResolvedPredicate] = []
            for operand in operands { resolved.append(try operand.resolve(against: schema, models: models)) }
            return resolved.isEmpty ? .constant(true) : .and(resolved)
        case .or(let operands):
            var resolved: [ResolvedPredicate] = []
            for operand in operands { resolved.append(try operand.resolve(against: schema, models: models)) }
            return resolved.isEmpty ? .constant(false) : .or(resolved)
        case .not(let operand):
            return .not(try operand.resolve(against: schema, models: models))
        case .related(let name, let inner):
            guard let relation = schema.relations.first(where: { $0.name == name }) else {
                throw DataStoreError(
                    code: .unknownField,
                    message: "\(schema.name) has no relation named \(name)"
                        + (schema.relations.isEmpty
                            ? "." : "; its relations are \(schema.relations.map(\.name).joined(separator: ", "))."),
                    model: schema.name,
                    field: name
                )
            }
            guard let models, let join = models.entry(named: schema.name)?.joins[name] else {
                throw DataStoreError(
                    code: .invalidPredicate,
                    message: "The condition on \(schema.name).\(relation.name) reads related models, which only a "
                        + "store's queries and observations can follow; write conditions on the model's own fields.",
                    model: schema.name,
                    field: name
                )
            }
            return .related(join, try inner.resolve(against: join.target, models: models))
        }
    }

    /// Validates `test` for `field` and returns it with operands in stored form.
    private static func check(
        _ test: PredicateOperator,
        on field: ModelField
    ) throws(DataStoreError)
        -> PredicateOperator
    {
        let type = field.type
        func invalid(_ reason: String) -> DataStoreError {
            DataStoreError(
                code: .invalidPredicate,
                message: "\(test.name) cannot be applied to \(field.name) (\(type.graphQLName)): \(reason)",
                field: field.name
            )
        }
        func operand(_ value: FieldValue) throws(DataStoreError) -> FieldValue {
            do {
                return try normalizedOperand(value, for: type)
            } catch {
                throw invalid(error.reason)
            }
        }
        switch test {
        case .eq(.null): return .attributeExists(false)
        case .ne(.null): return .attributeExists(true)
        case .eq(let value), .ne(let value):
            guard type.isScalar else { throw invalid("only single values can be compared for equality") }
            let checked = try operand(value)
            if case .eq = test { return .eq(checked) }
            return .ne(checked)
        case .lt(let value), .le(let value), .gt(let value), .ge(let value):
            guard type.isOrdered else { throw invalid("\(type.graphQLName) values have no order") }
            let checked = try operand(value)
            switch test {
            case .lt: return .lt(checked)
            case .le: return .le(checked)
            case .gt: return .gt(checked)
            default: return .ge(checked)
            }
        case .between(let lower, let upper):
            guard type.isOrdered else { throw invalid("\(type.graphQLName) values have no order") }
            return .between(try operand(lower), try operand(upper))
        case .beginsWith(let prefix):
            guard type.isStringLike else { throw invalid("only string fields have prefixes") }
            try checkNoNUL(prefix, invalid)
            return .beginsWith(prefix)
        case .contains(let value), .notContains(let value):
            let checked: FieldValue
            if type.isStringLike {
                guard case .string(let substring) = value else {
                    throw invalid("the substring must be a string, not \(value.kindName)")
                }
                try checkNoNUL(substring, invalid)
                checked = value
            } else if case .list(let element, _) = type, element.isScalar {
                do { checked = try normalizedOperand(value, for: element) } catch { throw invalid(error.reason) }
            } else {
                throw invalid("contains applies to strings and to lists of single values")
            }
            if case .contains = test { return .contains(checked) }
            return .notContains(checked)
        case .in(let values), .notIn(let values):
            guard type.isScalar else { throw invalid("only single values can be tested for membership") }
            var checked: [FieldValue] = []
            for value in values { checked.append(try operand(value)) }
            if case .in = test { return .in(checked) }
            return .notIn(checked)
        case .attributeExists:
            return test
        }
    }

    private static func checkNoNUL(_ text: String, _ invalid: (String) -> DataStoreError) throws(DataStoreError) {
        if text.utf8.contains(0) { throw invalid("strings cannot contain U+0000") }
    }

    /// The stored form of an operand for a field of `type`, or the reason it does not fit.
    static func normalizedOperand(_ value: FieldValue, for type: FieldType) throws(FieldValueError) -> FieldValue {
        switch (type, value) {
        case (.int, .int), (.timestamp, .int), (.float, .int), (.boolean, .bool):
            return value
        case (.int, .double(let number)), (.timestamp, .double(let number)), (.float, .double(let number)):
            guard number.isFinite else { throw FieldValueError("numbers in predicates must be finite") }
            return value
        case (.dateTime, .string(let text)):
            do { return .string(try Temporal.DateTime(iso8601String: text).iso8601String) } catch {
                throw FieldValueError(error.description)
            }
        case (.date, .string(let text)):
            do { return .string(try Temporal.Date(iso8601String: text).iso8601String) } catch {
                throw FieldValueError(error.description)
            }
        case (.time, .string(let text)):
            do { return .string(try Temporal.Time(iso8601String: text).iso8601String) } catch {
                throw FieldValueError(error.description)
            }
        case (.enumeration(let enumType), .string(let raw)):
            guard enumType.values.contains(raw) else {
                throw FieldValueError("\"\(raw)\" is not a value of \(enumType.name)")
            }
            return value
        case (_, .string(let text)) where type.isStringLike:
            if text.utf8.contains(0) { throw FieldValueError("strings cannot contain U+0000") }
            return value
        default:
            throw FieldValueError("expected a \(type.graphQLName) operand, found \(value.kindName)")
        }
    }
}
