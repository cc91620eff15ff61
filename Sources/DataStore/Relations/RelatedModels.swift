/// The models a to-many relation holds (`post.comments`), loaded only when asked.
///
/// Creating it reads nothing. Fetch them all, a page, a filtered and sorted subset, count them, or
/// iterate: iteration reads a page at a time, in primary key order, so a relation with many
/// models never sits in memory whole.
///
/// ```swift
/// let comments = try await post.comments.fetch()
/// let recent = try await post.comments.fetch(where: \.createdAt > cutoff, sort: .descending(\.createdAt))
/// let total = try await post.comments.count()
/// for try await comment in post.comments { print(comment.content) }
/// ```
///
/// It loads from the store the parent came from (see ``RelationContext``); a parent that no store
/// produced throws ``DataStoreError/Code/detachedModel``.
public struct RelatedModels<M: Model>: AsyncSequence, Sendable {
    /// The elements the sequence produces.
    public typealias Element = M
    /// The error iteration throws.
    public typealias Failure = DataStoreError

    /// The condition that selects the related models: usable in any query or observation of `M`.
    ///
    /// ```swift
    /// for try await change in store.observe(Comment.self, where: post.comments.predicate) { … }
    /// ```
    public let predicate: QueryPredicate<M>
    /// Models per read while iterating.
    public let pageSize: Int
    private let context: RelationContext
    private let owner: String
    private let name: String
    private let failure: DataStoreError?

    init(predicate: QueryPredicate<M>, context: RelationContext, owner: String, name: String) {
        self.predicate = predicate
        self.context = context
        self.owner = owner
        self.name = name
        pageSize = 100
        failure = nil
    }

    init(failure: DataStoreError, relation: String) {
        predicate = QueryPredicate(.or([]))
        context = RelationContext()
        owner = relation
        name = relation
        pageSize = 100
        self.failure = failure
    }

    private init(_ base: RelatedModels<M>, pageSize: Int) {
        predicate = base.predicate
        context = base.context
        owner = base.owner
        name = base.name
        failure = base.failure
        self.pageSize = pageSize
    }

    /// The same models, iterated `size` at a time (at least 1).
    public func paged(by size: Int) -> RelatedModels<M> {
        RelatedModels(self, pageSize: Swift.max(1, size))
    }

    private func store() throws(DataStoreError) -> DataStore {
        if let failure { throw failure }
        return try context.store(for: name, of: owner)
    }

    /// The related models that also match `condition`, in `sort` order, optionally one page.
    public func fetch(
        where condition: QueryPredicate<M> = .all,
        sort: QuerySort<M>? = nil,
        page: QueryPage? = nil
    ) async throws(DataStoreError) -> [M] {
        try await store().query(M.self, where: predicate && condition, sort: sort, page: page)
    }

    /// The related models that match all the block's conditions.
    public func fetch(
        sort: QuerySort<M>? = nil,
        page: QueryPage? = nil,
        @PredicateBuilder<M> where conditions: () -> [QueryPredicate<M>]
    ) async throws(DataStoreError) -> [M] {
        try await fetch(where: QueryPredicate(all: conditions()), sort: sort, page: page)
    }

    /// The first related model matching `condition` in `sort` order, or nil.
    public func first(
        where condition: QueryPredicate<M> = .all,
        sort: QuerySort<M>? = nil
    ) async throws(DataStoreError) -> M? {
        try await fetch(where: condition, sort: sort, page: .first(1)).first
    }

    /// The number of related models matching `condition`.
    public func count(where condition: QueryPredicate<M> = .all) async throws(DataStoreError) -> Int {
        try await store().count(M.self, where: predicate && condition)
    }

    /// Changes to the related models that match `condition`, as ``DataStore/observe(_:where:)``
    /// delivers them.
    public func observe(where condition: QueryPredicate<M> = .all) -> ModelChanges<M> {
        do {
            return try store().observe(M.self, where: predicate && condition)
        } catch {
            return ModelChanges(failure: error)
        }
    }

    /// An iterator over the sequence.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self)
    }

    /// Reads the related models a page at a time, in primary key order. A page starts after the
    /// last key of the previous one, so models saved or deleted meanwhile neither repeat nor shift
    /// the others. (Keys with a Boolean or enum part, which have no order to resume from, page by
    /// position instead.)
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let base: RelatedModels<M>
        private var buffer: [M] = []
        private var position = 0
        private var lastKey: [FieldValue]?
        private var pageIndex = 0
        private var finished = false
        private static var resumesByKey: Bool {
            M.schema.primaryKey.allSatisfy { M.schema.field(named: $0)?.type.isOrdered ?? false }
        }

        init(base: RelatedModels<M>) {
            self.base = base
        }

        /// The next element; nil once the sequence ends.
        public mutating func next() async throws(DataStoreError) -> M? {
            try await next(isolation: nil)
        }

        /// The next element, on the caller's actor; nil once the sequence ends.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(DataStoreError) -> M? {
            if position < buffer.count {
                defer { position += 1 }
                return buffer[position]
            }
            guard !finished else { return nil }
            do {
                let store = try base.store()
                var condition = base.predicate
                var page = QueryPage.first(base.pageSize)
                if !Self.resumesByKey {
                    page = QueryPage(index: pageIndex, size: base.pageSize)
                } else if let lastKey {
                    condition = condition && QueryPredicate(Self.after(lastKey))
                }
                buffer = try await store.query(
                    M.self,
                    where: condition,
                    sort: QuerySort(keys: M.schema.primaryKey.map { SortKey(field: $0, ascending: true) }),
                    page: page
                )
                pageIndex += 1
            } catch {
                finished = true
                buffer = []
                throw error
            }
            position = 0
            if buffer.count < base.pageSize { finished = true }
            guard let last = buffer.last else { return nil }
            lastKey = ModelKey(of: last).values
            position = 1
            return buffer[0]
        }

        /// Keys greater than `key` in primary key order: `(k1 > a) OR (k1 = a AND k2 > b) OR …`.
        private static func after(_ key: [FieldValue]) -> ModelPredicate {
            let names = M.schema.primaryKey
            var alternatives: [ModelPredicate] = []
            for position in names.indices {
                var tests: [ModelPredicate] = []
                for earlier in 0..<position { tests.append(.field(names[earlier], .eq(key[earlier]))) }
                tests.append(.field(names[position], .gt(key[position])))
                alternatives.append(.conjunction(tests))
            }
            return .disjunction(alternatives)
        }
    }
}
