/// Stores models in Swift collections, without SQLite. Nothing survives the process; used for
/// tests and previews, and as the reference implementation the SQLite adapter is tested against.
final class MemoryAdapter: StorageAdapter {
    struct Table {
        let schema: ModelSchema
        /// Rows by identifier, with an insertion sequence for a stable default order.
        var rows: [ModelIdentifier: (sequence: Int, values: [FieldValue])] = [:]
    }

    private enum Undo {
        case restoreRow(table: String, identifier: ModelIdentifier, row: (sequence: Int, values: [FieldValue])?)
        case restoreOutbox([OutboxEntry], nextSequence: Int64)
    }

    fileprivate var tables: [String: Table] = [:]
    fileprivate var outbox: [OutboxEntry] = []
    fileprivate var nextOutboxSequence: Int64 = 1
    fileprivate var nextRowSequence = 0
    private var undoLog: [Undo] = []
    private var isClosed = false

    var concurrentReader: (any ConcurrentStorageReader)? { nil }

    func open(
        schemas: [ModelSchema],
        onIncompatibleSchema: IncompatibleSchemaPolicy
    ) throws(DataStoreError)
        -> OpenReport
    {
        for schema in schemas { tables[schema.name] = Table(schema: schema) }
        return OpenReport()
    }

    func close() {
        isClosed = true
        tables = [:]
        outbox = []
    }

    func transaction<T>(_ body: (any StorageTransaction) throws(DataStoreError) -> T) throws(DataStoreError) -> T {
        guard !isClosed else { throw .storeClosed() }
        undoLog = []
        do {
            let result = try body(MemorySession(adapter: self, isWritable: true))
            undoLog = []
            return result
        } catch {
            for undo in undoLog.reversed() {
                switch undo {
                case .restoreRow(let table, let identifier, let row):
                    tables[table]?.rows[identifier] = row
                case .restoreOutbox(let entries, let sequence):
                    outbox = entries
                    nextOutboxSequence = sequence
                }
            }
            undoLog = []
            throw error
        }
    }

    func read<T>(_ body: (any StorageReading) throws(DataStoreError) -> T) throws(DataStoreError) -> T {
        guard !isClosed else { throw .storeClosed() }
        return try body(MemorySession(adapter: self, isWritable: false))
    }

    fileprivate func table(_ schema: ModelSchema) throws(DataStoreError) -> Table {
        guard let table = tables[schema.name] else { throw .modelNotRegistered(schema.name) }
        return table
    }

    fileprivate func setRow(
        _ table: String,
        _ identifier: ModelIdentifier,
        _ row: (sequence: Int, values: [FieldValue])?
    ) {
        undoLog.append(.restoreRow(table: table, identifier: identifier, row: tables[table]?.rows[identifier]))
        tables[table]?.rows[identifier] = row
    }

    fileprivate func recordOutboxUndo() {
        undoLog.append(.restoreOutbox(outbox, nextSequence: nextOutboxSequence))
    }
}

/// A read or write session on a ``MemoryAdapter``.
private struct MemorySession: StorageTransaction {
    let adapter: MemoryAdapter
    let isWritable: Bool

    func fetch(
        _ schema: ModelSchema,
        _ request: FetchRequest,
        _ visit: ([FieldValue]) throws(DataStoreError) -> Void
    )
        throws(DataStoreError)
    {
        let table = try adapter.table(schema)
        var matches: [(sequence: Int, values: [FieldValue])] = []
        for row in table.rows.values where try rowMatches(request.predicate, row.values) { matches.append(row) }
        if request.sort.isEmpty {
            matches.sort { $0.sequence < $1.sequence }
        } else {
            let keys = MemorySort.keys(request.sort, schema: schema)
            matches.sort { MemorySort.precedes($0.values, $1.values, keys: keys) }
        }
        var slice = matches[...]
        if let page = request.page {
            let start = min(page.index * page.size, matches.count)
            slice = matches[start..<min(start + page.size, matches.count)]
        }
        for row in slice { try visit(row.values) }
    }

    func fetchOne(_ schema: ModelSchema, _ identifier: ModelIdentifier) throws(DataStoreError) -> [FieldValue]? {
        try adapter.table(schema).rows[identifier]?.values
    }

    func count(_ schema: ModelSchema, _ predicate: ResolvedPredicate) throws(DataStoreError) -> Int {
        var count = 0
        for row in try adapter.table(schema).rows.values where try rowMatches(predicate, row.values) { count += 1 }
        return count
    }

    func exists(_ schema: ModelSchema, _ predicate: ResolvedPredicate) throws(DataStoreError) -> Bool {
        for row in try adapter.table(schema).rows.values where try rowMatches(predicate, row.values) { return true }
        return false
    }

    /// Evaluates `predicate` on a row, reading related rows from this session.
    private func rowMatches(_ predicate: ResolvedPredicate, _ values: [FieldValue]) throws(DataStoreError) -> Bool {
        predicate.usesRelations ? try predicate.evaluate(values, reading: self) : predicate.evaluate(values)
    }

    func outboxEntries() throws(DataStoreError) -> [OutboxEntry] { adapter.outbox }

    func insert(_ schema: ModelSchema, _ values: [FieldValue]) throws(DataStoreError) {
        let identifier = ModelIdentifier(of: values, in: schema)
        guard try fetchOne(schema, identifier) == nil else {
            throw DataStoreError(
                code: .sqlite,
                message: "A \(schema.name) with identifier \(identifier) already exists.",
                model: schema.name
            )
        }
        adapter.nextRowSequence += 1
        adapter.setRow(schema.name, identifier, (adapter.nextRowSequence, values))
    }

    func upsert(_ schema: ModelSchema, _ values: [FieldValue]) throws(DataStoreError) -> MutationKind {
        if try update(schema, values) { return .updated }
        try insert(schema, values)
        return .created
    }

    func update(_ schema: ModelSchema, _ values: [FieldValue]) throws(DataStoreError) -> Bool {
        let identifier = ModelIdentifier(of: values, in: schema)
        guard let existing = try adapter.table(schema).rows[identifier] else { return false }
        adapter.setRow(schema.name, identifier, (existing.sequence, values))
        return true
    }

    func delete(_ schema: ModelSchema, _ identifier: ModelIdentifier) throws(DataStoreError) -> [FieldValue]? {
        guard let existing = try adapter.table(schema).rows[identifier] else { return nil }
        adapter.setRow(schema.name, identifier, nil)
        return existing.values
    }

    func delete(_ schema: ModelSchema, _ predicate: ResolvedPredicate) throws(DataStoreError) -> [[FieldValue]] {
        var doomed: [(key: ModelIdentifier, value: (sequence: Int, values: [FieldValue]))] = []
        for row in try adapter.table(schema).rows where try rowMatches(predicate, row.value.values) {
            doomed.append(row)
        }
        doomed.sort { $0.value.sequence < $1.value.sequence }
        for (identifier, _) in doomed { adapter.setRow(schema.name, identifier, nil) }
        return doomed.map(\.value.values)
    }

    func enqueue(_ entry: OutboxEntry) throws(DataStoreError) {
        adapter.recordOutboxUndo()
        var stored = entry
        stored.sequence = adapter.nextOutboxSequence
        adapter.nextOutboxSequence += 1
        adapter.outbox.append(stored)
    }

    func newestOutboxEntry(model: String, modelID: String) throws(DataStoreError) -> OutboxEntry? {
        adapter.outbox.last { $0.modelName == model && $0.modelID == modelID }
    }

    func replaceOutboxEntry(_ sequence: Int64, with entry: OutboxEntry) throws(DataStoreError) {
        guard let index = adapter.outbox.firstIndex(where: { $0.sequence == sequence }) else { return }
        adapter.recordOutboxUndo()
        adapter.outbox[index] = OutboxEntry(
            sequence: sequence,
            modelName: entry.modelName,
            modelID: entry.modelID,
            kind: entry.kind,
            payload: entry.payload,
            condition: entry.condition,
            enqueuedAt: entry.enqueuedAt,
            inFlight: adapter.outbox[index].inFlight
        )
    }

    func setOutboxInFlight(_ sequences: [Int64], _ inFlight: Bool) throws(DataStoreError) {
        adapter.recordOutboxUndo()
        let marked = Set(sequences)
        for index in adapter.outbox.indices where marked.contains(adapter.outbox[index].sequence) {
            adapter.outbox[index].inFlight = inFlight
        }
    }

    func removeOutboxEntry(_ sequence: Int64) throws(DataStoreError) {
        adapter.recordOutboxUndo()
        adapter.outbox.removeAll { $0.sequence == sequence }
    }

    func deleteAllData(_ schemas: [ModelSchema]) throws(DataStoreError) {
        adapter.recordOutboxUndo()
        adapter.outbox = []
        for schema in schemas {
            for identifier in try adapter.table(schema).rows.keys { adapter.setRow(schema.name, identifier, nil) }
        }
    }
}

/// In-memory sorting with SQLite's order (see ``FieldValue/sortOrder(_:_:)``) and the primary key
/// as the final tie-breaker, as ``SQLitePredicateCompiler/orderBy(_:schema:)`` does.
enum MemorySort {
    struct Key: Sendable, Hashable {
        let index: Int
        let ascending: Bool
    }

    static func keys(_ sort: [ResolvedSortKey], schema: ModelSchema) -> [Key] {
        var keys = sort.map { Key(index: $0.fieldIndex, ascending: $0.ascending) }
        for index in schema.primaryKeyIndices where !keys.contains(where: { $0.index == index }) {
            keys.append(Key(index: index, ascending: true))
        }
        return keys
    }

    static func precedes(_ lhs: [FieldValue], _ rhs: [FieldValue], keys: [Key]) -> Bool {
        for key in keys {
            switch FieldValue.sortOrder(lhs[key.index], rhs[key.index]) {
            case .equal: continue
            case .less: return key.ascending
            case .greater: return !key.ascending
            }
        }
        return false
    }
}
