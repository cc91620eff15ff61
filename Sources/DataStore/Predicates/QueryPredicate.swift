/// A typed condition on the model `M`, built from key paths.
///
/// ```swift
/// let good: QueryPredicate<Post> = \.rating > 4 && \.status == .active
/// let titled: QueryPredicate<Post> = .beginsWith(\.title, "Swift") || .contains(\.tags, "server")
/// let posts = try await store.query(Post.self, where: good)
/// ```
///
/// Key paths are resolved to field names when the predicate is built (key paths are not
/// `Sendable`); a key path that is not a stored field makes the query throw
/// ``DataStoreError/Code/unknownField``. Comparing a field with a value of another type does not
/// compile. Booleans and enums offer only equality tests.
public struct QueryPredicate<M: Model>: Sendable, Hashable {
    /// The untyped predicate.
    public let predicate: ModelPredicate

    /// Wraps an untyped predicate; its field names are checked against `M`'s schema when used.
    public init(_ predicate: ModelPredicate) {
        self.predicate = predicate
    }

    /// Matches every model.
    public static var all: QueryPredicate<M> { QueryPredicate(.all) }

    /// Both predicates match.
    public static func && (lhs: QueryPredicate<M>, rhs: QueryPredicate<M>) -> QueryPredicate<M> {
        QueryPredicate(.conjunction([lhs.predicate, rhs.predicate]))
    }

    /// Either predicate matches.
    public static func || (lhs: QueryPredicate<M>, rhs: QueryPredicate<M>) -> QueryPredicate<M> {
        QueryPredicate(.disjunction([lhs.predicate, rhs.predicate]))
    }

    /// The predicate does not match.
    public static prefix func ! (operand: QueryPredicate<M>) -> QueryPredicate<M> {
        QueryPredicate(.not(operand.predicate))
    }

    static func field(_ keyPath: PartialKeyPath<M>, _ test: PredicateOperator) -> QueryPredicate<M> {
        guard let name = M.fieldName(for: keyPath) else {
            return QueryPredicate(.unresolvedKeyPath(String(describing: keyPath)))
        }
        return QueryPredicate(.field(name, test))
    }
}

// MARK: - Comparison operators

/// The field equals `value`.
public func == <M: Model, V: ScalarFieldValue>(field: KeyPath<M, V>, value: V) -> QueryPredicate<M> {
    .field(field, .eq(value.fieldValue))
}

/// The optional field equals `value` (false when the field is null).
public func == <M: Model, V: ScalarFieldValue>(field: KeyPath<M, V?>, value: V) -> QueryPredicate<M> {
    .field(field, .eq(value.fieldValue))
}

/// The optional field is null.
public func == <M: Model, V: FieldValueConvertible>(
    field: KeyPath<M, V?>,
    _: _OptionalNilComparisonType
)
    -> QueryPredicate<M>
{
    .field(field, .attributeExists(false))
}

/// The field does not equal `value`.
public func != <M: Model, V: ScalarFieldValue>(field: KeyPath<M, V>, value: V) -> QueryPredicate<M> {
    .field(field, .ne(value.fieldValue))
}

/// The optional field does not equal `value` (true when the field is null).
public func != <M: Model, V: ScalarFieldValue>(field: KeyPath<M, V?>, value: V) -> QueryPredicate<M> {
    .field(field, .ne(value.fieldValue))
}

/// The optional field is not null.
public func != <M: Model, V: FieldValueConvertible>(
    field: KeyPath<M, V?>,
    _: _OptionalNilComparisonType
)
    -> QueryPredicate<M>
{
    .field(field, .attributeExists(true))
}

/// The field is less than `value`.
public func < <M: Model, V: ScalarFieldValue & Comparable>(field: KeyPath<M, V>, value: V) -> QueryPredicate<M> {
    .field(field, .lt(value.fieldValue))
}

/// The optional field is less than `value` (false when the field is null).
public func < <M: Model, V: ScalarFieldValue & Comparable>(field: KeyPath<M, V?>, value: V) -> QueryPredicate<M> {
    .field(field, .lt(value.fieldValue))
}

/// The field is less than or equal to `value`.
public func <= <M: Model, V: ScalarFieldValue & Comparable>(field: KeyPath<M, V>, value: V) -> QueryPredicate<M> {
    .field(field, .le(value.fieldValue))
}

/// The optional field is less than or equal to `value` (false when the field is null).
public func <= <M: Model, V: ScalarFieldValue & Comparable>(field: KeyPath<M, V?>, value: V) -> QueryPredicate<M> {
    .field(field, .le(value.fieldValue))
}

/// The field is greater than `value`.
public func > <M: Model, V: ScalarFieldValue & Comparable>(field: KeyPath<M, V>, value: V) -> QueryPredicate<M> {
    .field(field, .gt(value.fieldValue))
}

/// The optional field is greater than `value` (false when the field is null).
public func > <M: Model, V: ScalarFieldValue & Comparable>(field: KeyPath<M, V?>, value: V) -> QueryPredicate<M> {
    .field(field, .gt(value.fieldValue))
}

/// The field is greater than or equal to `value`.
public func >= <M: Model, V: ScalarFieldValue & Comparable>(field: KeyPath<M, V>, value: V) -> QueryPredicate<M> {
    .field(field, .ge(value.fieldValue))
}

/// The optional field is greater than or equal to `value` (false when the field is null).
public func >= <M: Model, V: ScalarFieldValue & Comparable>(field: KeyPath<M, V?>, value: V) -> QueryPredicate<M> {
    .field(field, .ge(value.fieldValue))
}

// MARK: - Named operators

extension QueryPredicate {
    /// The field is between `lower` and `upper`, both included.
    public static func between<V: ScalarFieldValue & Comparable>(
        _ field: KeyPath<M, V>,
        _ lower: V,
        _ upper: V
    )
        -> QueryPredicate<M>
    {
        .field(field, .between(lower.fieldValue, upper.fieldValue))
    }

    /// The optional field is between `lower` and `upper`, both included (false when null).
    public static func between<V: ScalarFieldValue & Comparable>(
        _ field: KeyPath<M, V?>,
        _ lower: V,
        _ upper: V
    )
        -> QueryPredicate<M>
    {
        .field(field, .between(lower.fieldValue, upper.fieldValue))
    }

    /// The string field starts with `prefix` (compared byte by byte, case-sensitive).
    public static func beginsWith(_ field: KeyPath<M, String>, _ prefix: String) -> QueryPredicate<M> {
        .field(field, .beginsWith(prefix))
    }

    /// The optional string field starts with `prefix` (false when null).
    public static func beginsWith(_ field: KeyPath<M, String?>, _ prefix: String) -> QueryPredicate<M> {
        .field(field, .beginsWith(prefix))
    }

    /// The string field contains `substring` (case-sensitive).
    public static func contains(_ field: KeyPath<M, String>, _ substring: String) -> QueryPredicate<M> {
        .field(field, .contains(.string(substring)))
    }

    /// The optional string field contains `substring` (false when null).
    public static func contains(_ field: KeyPath<M, String?>, _ substring: String) -> QueryPredicate<M> {
        .field(field, .contains(.string(substring)))
    }

    /// The string field does not contain `substring`.
    public static func notContains(_ field: KeyPath<M, String>, _ substring: String) -> QueryPredicate<M> {
        .field(field, .notContains(.string(substring)))
    }

    /// The optional string field does not contain `substring` (true when null).
    public static func notContains(_ field: KeyPath<M, String?>, _ substring: String) -> QueryPredicate<M> {
        .field(field, .notContains(.string(substring)))
    }

    /// The list field contains `element`.
    public static func contains<E: ScalarFieldValue>(_ field: KeyPath<M, [E]>, _ element: E) -> QueryPredicate<M> {
        .field(field, .contains(element.fieldValue))
    }

    /// The optional list field contains `element` (false when null).
    public static func contains<E: ScalarFieldValue>(_ field: KeyPath<M, [E]?>, _ element: E) -> QueryPredicate<M> {
        .field(field, .contains(element.fieldValue))
    }

    /// The list field does not contain `element`.
    public static func notContains<E: ScalarFieldValue>(
        _ field: KeyPath<M, [E]>,
        _ element: E
    )
        -> QueryPredicate<M>
    {
        .field(field, .notContains(element.fieldValue))
    }

    /// The optional list field does not contain `element` (true when null).
    public static func notContains<E: ScalarFieldValue>(
        _ field: KeyPath<M, [E]?>,
        _ element: E
    )
        -> QueryPredicate<M>
    {
        .field(field, .notContains(element.fieldValue))
    }

    /// The field's value is one of `values` (false for an empty list).
    public static func `in`<V: ScalarFieldValue>(_ field: KeyPath<M, V>, _ values: [V]) -> QueryPredicate<M> {
        .field(field, .in(values.map(\.fieldValue)))
    }

    /// The optional field's value is one of `values` (false when null).
    public static func `in`<V: ScalarFieldValue>(_ field: KeyPath<M, V?>, _ values: [V]) -> QueryPredicate<M> {
        .field(field, .in(values.map(\.fieldValue)))
    }

    /// The field's value is none of `values`.
    public static func notIn<V: ScalarFieldValue>(_ field: KeyPath<M, V>, _ values: [V]) -> QueryPredicate<M> {
        .field(field, .notIn(values.map(\.fieldValue)))
    }

    /// The optional field's value is none of `values` (true when null).
    public static func notIn<V: ScalarFieldValue>(_ field: KeyPath<M, V?>, _ values: [V]) -> QueryPredicate<M> {
        .field(field, .notIn(values.map(\.fieldValue)))
    }

    /// The field is present (`exists: true`) or null (`exists: false`).
    public static func attributeExists<V: FieldValueConvertible>(
        _ field: KeyPath<M, V?>,
        _ exists: Bool = true
    )
        -> QueryPredicate<M>
    {
        .field(field, .attributeExists(exists))
    }
}
