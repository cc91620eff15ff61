/// Builds a predicate from a block of conditions that must all hold (implicit AND).
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
/// An empty block matches everything.
@resultBuilder
public enum PredicateBuilder<M: Model> {
    public static func buildExpression(_ expression: QueryPredicate<M>) -> [QueryPredicate<M>] { [expression] }
    public static func buildBlock(_ components: [QueryPredicate<M>]...) -> [QueryPredicate<M>] {
        components.flatMap { $0 }
    }
    public static func buildOptional(_ component: [QueryPredicate<M>]?) -> [QueryPredicate<M>] { component ?? [] }
    public static func buildEither(first component: [QueryPredicate<M>]) -> [QueryPredicate<M>] { component }
    public static func buildEither(second component: [QueryPredicate<M>]) -> [QueryPredicate<M>] { component }
    public static func buildArray(_ components: [[QueryPredicate<M>]]) -> [QueryPredicate<M>] {
        components.flatMap { $0 }
    }
    public static func buildLimitedAvailability(_ component: [QueryPredicate<M>]) -> [QueryPredicate<M>] {
        component
    }
    public static func buildFinalResult(_ component: [QueryPredicate<M>]) -> QueryPredicate<M> {
        QueryPredicate(.conjunction(component.map(\.predicate)))
    }
}

/// Collects the conditions of an ``Or(_:)``, ``And(_:)`` or ``Not(_:)`` block.
@resultBuilder
public enum PredicateListBuilder<M: Model> {
    public static func buildExpression(_ expression: QueryPredicate<M>) -> [QueryPredicate<M>] { [expression] }
    public static func buildBlock(_ components: [QueryPredicate<M>]...) -> [QueryPredicate<M>] {
        components.flatMap { $0 }
    }
    public static func buildOptional(_ component: [QueryPredicate<M>]?) -> [QueryPredicate<M>] { component ?? [] }
    public static func buildEither(first component: [QueryPredicate<M>]) -> [QueryPredicate<M>] { component }
    public static func buildEither(second component: [QueryPredicate<M>]) -> [QueryPredicate<M>] { component }
    public static func buildArray(_ components: [[QueryPredicate<M>]]) -> [QueryPredicate<M>] {
        components.flatMap { $0 }
    }
    public static func buildLimitedAvailability(_ component: [QueryPredicate<M>]) -> [QueryPredicate<M>] {
        component
    }
}

/// Matches when any of the block's conditions holds (an empty block matches nothing).
public func Or<M: Model>(@PredicateListBuilder<M> _ conditions: () -> [QueryPredicate<M>]) -> QueryPredicate<M> {
    QueryPredicate(.disjunction(conditions().map(\.predicate)))
}

/// Matches when all of the block's conditions hold (an empty block matches everything).
public func And<M: Model>(@PredicateListBuilder<M> _ conditions: () -> [QueryPredicate<M>]) -> QueryPredicate<M> {
    QueryPredicate(.conjunction(conditions().map(\.predicate)))
}

/// Matches when the block's conditions do not all hold: `Not { a; b }` is `!(a && b)`.
public func Not<M: Model>(@PredicateListBuilder<M> _ conditions: () -> [QueryPredicate<M>]) -> QueryPredicate<M> {
    QueryPredicate(.not(.conjunction(conditions().map(\.predicate))))
}

extension QueryPredicate {
    /// Builds a predicate with ``PredicateBuilder`` (implicit AND).
    public init(@PredicateBuilder<M> _ build: () -> QueryPredicate<M>) {
        self = build()
    }
}
