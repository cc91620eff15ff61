/// Collects the conditions of a predicate block. Where a block stands for a whole predicate (a
/// query's `where` block, a `QueryPredicate { … }`, ``And(_:)``) its conditions must all hold;
/// ``Or(_:)`` needs any of them; ``Not(_:)`` negates their conjunction.
///
/// ```swift
/// let posts = try await store.query(Post.self) {
///     \.rating > 4
///     Or {
///         \.status == .active
///         QueryPredicate.beginsWith(\.title, "Draft:")
///     }
///     if onlyRecent { \.createdAt > cutoff }
/// }
/// ```
///
/// An empty block matches everything; an empty `Or` block matches nothing.
@resultBuilder
public enum PredicateBuilder<M: Model> {
    /// One condition.
    public static func buildExpression(_ expression: QueryPredicate<M>) -> [QueryPredicate<M>] { [expression] }
    /// The conditions of a block, in order.
    public static func buildBlock(_ components: [QueryPredicate<M>]...) -> [QueryPredicate<M>] {
        components.flatMap { $0 }
    }
    /// The conditions of an `if` without `else` (none when the test is false).
    public static func buildOptional(_ component: [QueryPredicate<M>]?) -> [QueryPredicate<M>] { component ?? [] }
    /// The conditions of the first branch of an `if`/`else` or `switch`.
    public static func buildEither(first component: [QueryPredicate<M>]) -> [QueryPredicate<M>] { component }
    /// The conditions of the second branch of an `if`/`else` or `switch`.
    public static func buildEither(second component: [QueryPredicate<M>]) -> [QueryPredicate<M>] { component }
    /// The conditions of every iteration of a `for` loop.
    public static func buildArray(_ components: [[QueryPredicate<M>]]) -> [QueryPredicate<M>] {
        components.flatMap { $0 }
    }
    /// The conditions of an `if #available` branch.
    public static func buildLimitedAvailability(_ component: [QueryPredicate<M>]) -> [QueryPredicate<M>] {
        component
    }
}

/// Matches when any of the block's conditions holds (an empty block matches nothing).
public func Or<M: Model>(@PredicateBuilder<M> _ conditions: () -> [QueryPredicate<M>]) -> QueryPredicate<M> {
    QueryPredicate(.disjunction(conditions().map(\.predicate)))
}

/// Matches when all of the block's conditions hold (an empty block matches everything).
public func And<M: Model>(@PredicateBuilder<M> _ conditions: () -> [QueryPredicate<M>]) -> QueryPredicate<M> {
    QueryPredicate(all: conditions())
}

/// Matches when the block's conditions do not all hold: `Not { a; b }` is `!(a && b)`.
public func Not<M: Model>(@PredicateBuilder<M> _ conditions: () -> [QueryPredicate<M>]) -> QueryPredicate<M> {
    !QueryPredicate(all: conditions())
}

extension QueryPredicate {
    /// A predicate whose conditions, listed in a ``PredicateBuilder`` block, must all hold.
    public init(@PredicateBuilder<M> _ conditions: () -> [QueryPredicate<M>]) {
        self.init(all: conditions())
    }

    /// The conjunction of `conditions`.
    init(all conditions: [QueryPredicate<M>]) {
        self.init(.conjunction(conditions.map(\.predicate)))
    }
}
