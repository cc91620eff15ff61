/// The engine's side of the outbox: entries made in a write's transaction, merged as
/// ``OutboxMerge`` says, and what sync reads and marks.
extension StorageEngine {
    /// Refuses values sync cannot carry (``outboxCheck``), before a save's transaction.
    ///
    /// - Throws: ``DataStoreError/Code/invalidValue`` naming the field.
    func checkOutboxValues(_ saves: [PendingSave], _ schema: ModelSchema) throws(DataStoreError) {
        guard outboxEnabled, let outboxCheck else { return }
        for save in saves {
            if let problem = outboxCheck(schema, save.values) {
                throw DataStoreError(
                    code: .invalidValue,
                    message: problem.message,
                    model: schema.name,
                    field: problem.field
                )
            }
        }
    }

    /// Records a local write in the outbox: merged into the record's newest pending entry where
    /// ``OutboxMerge`` says so, appended otherwise. Runs inside the write's transaction.
    func enqueue(_ entry: OutboxEntry, in transaction: any StorageTransaction) throws(DataStoreError) {
        let newest = try transaction.newestOutboxEntry(model: entry.modelName, modelID: entry.modelID)
        let decision = OutboxMerge.decide(
            entry.kind,
            isConditional: entry.condition != nil,
            newest: newest.map { .init(kind: $0.kind, inFlight: $0.inFlight, isConditional: $0.condition != nil) }
        )
        var merged = entry
        switch (decision, newest) {
        case (.append(let kind), _):
            merged.kind = kind
            try transaction.enqueue(merged)
        case (.replace(let kind), let newest?):
            merged.kind = kind
            try transaction.replaceOutboxEntry(newest.sequence, with: merged)
        case (.cancel, let newest?):
            try transaction.removeOutboxEntry(newest.sequence)
        case (.replace, nil), (.cancel, nil):
            // The merge rules replace or cancel only an entry they were given.
            try transaction.enqueue(merged)
        }
    }

    /// Marks outbox entries as handed to the network (`inFlight`), or as waiting again: later
    /// writes of their records are appended, not merged into them.
    package func setOutboxInFlight(_ sequences: [Int64], _ inFlight: Bool) throws(DataStoreError) {
        try openAdapter().transaction { transaction throws(DataStoreError) in
            try transaction.setOutboxInFlight(sequences, inFlight)
        }
    }

    /// The pending outbox entries.
    package func outboxEntries() throws(DataStoreError) -> [OutboxEntry] {
        try openAdapter().read { reader throws(DataStoreError) in try reader.outboxEntries() }
    }

    func outboxEntry(
        _ kind: OutboxEntry.Kind,
        _ schema: ModelSchema,
        _ identifier: ModelIdentifier,
        _ values: [FieldValue],
        _ condition: ResolvedPredicate?
    ) -> OutboxEntry {
        var payload: [String: FieldValue] = [:]
        for (field, value) in zip(schema.fields, values) { payload[field.name] = value }
        return OutboxEntry(
            sequence: 0,
            modelName: schema.name,
            modelID: identifier.description,
            kind: kind,
            payload: FieldValue.object(payload).jsonText,
            condition: condition.map { $0.graphQLFilter(schema: schema).jsonText },
            enqueuedAt: clock.millisecondsSince1970,
            inFlight: false
        )
    }
}
