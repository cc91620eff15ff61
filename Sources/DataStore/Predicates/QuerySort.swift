/// The order of query results: one or more fields, each ascending or descending.
///
/// ```swift
/// try await store.query(Post.self, sort: .descending(\.rating))
/// try await store.query(Post.self, sort: [.descending(\.rating), .ascending(\.title)])
/// ```
///
/// Ties are broken by the primary key, so the order is always fully determined. Nulls sort first in
/// ascending order and last in descending order. Strings sort by UTF-8 bytes.
public struct QuerySort<M: Model>: Sendable, Hashable, ExpressibleByArrayLiteral {
    /// The sort keys, most significant first.
    public let keys: [SortKey]

    init(keys: [SortKey]) {
        self.keys = keys
    }

    /// Combines sorts: the first is most significant.
    public init(arrayLiteral elements: QuerySort<M>...) {
        keys = elements.flatMap(\.keys)
    }

    /// Sort by `field`, smallest first.
    public static func ascending<V: ScalarFieldValue>(_ field: KeyPath<M, V>) -> QuerySort<M> {
        QuerySort(keys: [SortKey(M.self, field, ascending: true)])
    }

    /// Sort by the optional `field`, nulls first.
    public static func ascending<V: ScalarFieldValue>(_ field: KeyPath<M, V?>) -> QuerySort<M> {
        QuerySort(keys: [SortKey(M.self, field, ascending: true)])
    }

    /// Sort by `field`, largest first.
    public static func descending<V: ScalarFieldValue>(_ field: KeyPath<M, V>) -> QuerySort<M> {
        QuerySort(keys: [SortKey(M.self, field, ascending: false)])
    }

    /// Sort by the optional `field`, nulls last.
    public static func descending<V: ScalarFieldValue>(_ field: KeyPath<M, V?>) -> QuerySort<M> {
        QuerySort(keys: [SortKey(M.self, field, ascending: false)])
    }
}

/// One field of a sort order.
public struct SortKey: Hashable, Sendable {
    /// The field name; nil when it was built from a key path that is not a stored field.
    public let field: String?
    /// Smallest first when true.
    public let ascending: Bool
    /// The key path's description, for the error when ``field`` is nil.
    let keyPathDescription: String

    /// A sort key on a named field.
    public init(field: String, ascending: Bool) {
        self.field = field
        self.ascending = ascending
        keyPathDescription = field
    }

    init<M: Model>(_ model: M.Type, _ keyPath: PartialKeyPath<M>, ascending: Bool) {
        field = M.fieldName(for: keyPath)
        self.ascending = ascending
        keyPathDescription = String(describing: keyPath)
    }
}

/// A page of query results: `size` results starting at result `index * size`.
public struct QueryPage: Hashable, Sendable {
    /// The page number, from 0.
    public let index: Int
    /// The number of results per page, at least 1.
    public let size: Int

    /// Page `index` (from 0) of pages of `size` results.
    public init(index: Int, size: Int) {
        self.index = index
        self.size = size
    }

    /// The first page of `size` results.
    public static func first(_ size: Int) -> QueryPage { QueryPage(index: 0, size: size) }
}
