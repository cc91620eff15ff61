/// The rows a delete removes: the rows it names and, through cascading relations (`hasMany`,
/// `hasOne`), their children, grandchildren and so on, children first.
///
/// Each row appears once, however many paths reach it, so cyclic data (a tree whose nodes point
/// at each other) ends. The walk uses an explicit stack: a deep tree does not deepen the call stack.
struct CascadePlan {
    struct Row {
        let entry: RegisteredModels.Entry
        let identifier: ModelIdentifier
        let values: [FieldValue]
        /// Whether the delete named this row (rather than reaching it through a relation).
        let isRoot: Bool
    }

    /// The rows in deletion order: every row after the rows its cascades reach.
    private(set) var rows: [Row] = []

    init(
        roots: [[FieldValue]],
        of entry: RegisteredModels.Entry,
        models: RegisteredModels,
        reading reader: any StorageReading
    ) throws(DataStoreError) {
        struct Visit {
            let entry: RegisteredModels.Entry
            let values: [FieldValue]
            let isRoot: Bool
            /// Whether the row's children are already on the stack (so it is finished when popped).
            var expanded = false
        }
        struct Key: Hashable {
            let model: String
            let identifier: ModelIdentifier
        }
        var visited: Set<Key> = []
        var stack = roots.reversed().map { Visit(entry: entry, values: $0, isRoot: true) }
        while var visit = stack.popLast() {
            let identifier = ModelIdentifier(of: visit.values, in: visit.entry.schema)
            if visit.expanded {
                rows.append(Row(entry: visit.entry, identifier: identifier, values: visit.values, isRoot: visit.isRoot))
                continue
            }
            guard visited.insert(Key(model: visit.entry.schema.name, identifier: identifier)).inserted else { continue }
            visit.expanded = true
            stack.append(visit)
            var children: [Visit] = []
            for join in visit.entry.cascades {
                guard let key = join.localKey(visit.values), let target = models.entry(named: join.target.name) else {
                    continue
                }
                try reader.fetch(join.target, FetchRequest(predicate: join.targetPredicate(forKey: key))) { values in
                    children.append(Visit(entry: target, values: values, isRoot: false))
                }
            }
            // Pushed in reverse, so children are deleted in the order they were found.
            stack.append(contentsOf: children.reversed())
        }
    }
}
