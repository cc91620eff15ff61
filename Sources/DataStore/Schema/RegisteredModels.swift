/// The models a store was opened with, indexed for the hot paths.
struct RegisteredModels: Sendable {
    struct Entry: Sendable {
        let type: any Model.Type
        let schema: ModelSchema
        /// The model's relations, resolved against the registered models, by relation name.
        let joins: [String: RelationJoin]
        /// The relations whose related rows go when a row of this model is deleted, in schema order.
        let cascades: [RelationJoin]
        /// Required references this model holds (the key is stored here): each saved row's target
        /// must exist.
        let requiredReferences: [RelationJoin]
    }

    private let byType: [ObjectIdentifier: Entry]
    private let byName: [String: Entry]
    /// The schemas, in registration order.
    let schemas: [ModelSchema]

    init(_ types: [any Model.Type]) throws(DataStoreError) {
        var typesByName: [String: any Model.Type] = [:]
        var schemas: [ModelSchema] = []
        for type in types {
            let schema = type.schema
            try schema.validateDefinition()
            if let existing = typesByName[schema.name] {
                if existing == type { continue }
                throw DataStoreError(
                    code: .invalidSchema,
                    message: "Two model types, \(existing) and \(type), use the name \(schema.name).",
                    model: schema.name
                )
            }
            typesByName[schema.name] = type
            schemas.append(schema)
        }
        let schemasByName = Dictionary(uniqueKeysWithValues: schemas.map { ($0.name, $0) })
        var byType: [ObjectIdentifier: Entry] = [:]
        var byName: [String: Entry] = [:]
        for schema in schemas {
            var joins: [String: RelationJoin] = [:]
            var cascades: [RelationJoin] = []
            var requiredReferences: [RelationJoin] = []
            for relation in schema.relations {
                guard let target = schemasByName[relation.relatedModel] else {
                    throw DataStoreError(
                        code: .invalidSchema,
                        message: "The relation \(schema.name).\(relation.name) points at \(relation.relatedModel), "
                            + "which is not among the store's models. Register \(relation.relatedModel) too (the "
                            + "generated registry lists every model).",
                        model: schema.name,
                        field: relation.name
                    )
                }
                let join = try RelationJoin(relation, from: schema, to: target)
                joins[relation.name] = join
                if join.cascades { cascades.append(join) }
                if relation.isRequired, relation.kind != .hasMany, !relation.localFields.isEmpty {
                    requiredReferences.append(join)
                }
            }
            let entry = Entry(
                type: typesByName[schema.name]!,
                schema: schema,
                joins: joins,
                cascades: cascades,
                requiredReferences: requiredReferences
            )
            byType[ObjectIdentifier(entry.type)] = entry
            byName[schema.name] = entry
        }
        try Self.checkRequiredCycles(byName, order: schemas.map(\.name))
        self.byType = byType
        self.byName = byName
        self.schemas = schemas
    }

    func entry<M: Model>(for type: M.Type) throws(DataStoreError) -> Entry {
        guard let entry = byType[ObjectIdentifier(type)] else { throw .modelNotRegistered(M.schema.name) }
        return entry
    }

    func entry(named name: String) -> Entry? { byName[name] }

    /// Refuses required references between different models that form a cycle: no model of the
    /// cycle could be saved first, since each needs another to exist already. (A model that
    /// requires a model of its own type can still start with a row that references itself.)
    private static func checkRequiredCycles(_ entries: [String: Entry], order: [String]) throws(DataStoreError) {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var path: [RelationJoin] = []
        func visit(_ name: String) throws(DataStoreError) {
            marks[name] = .visiting
            for join in entries[name]?.requiredReferences ?? [] where join.target.name != name {
                switch marks[join.target.name] {
                case .visiting:
                    let start = path.firstIndex { $0.source.name == join.target.name } ?? 0
                    let cycle = path[start...] + [join]
                    throw DataStoreError(
                        code: .invalidSchema,
                        message: "The required relations "
                            + cycle.map { "\($0.description) → \($0.target.name)" }.joined(separator: ", ")
                            + " form a cycle, so none of these models could be saved first. Make one of the "
                            + "relations optional.",
                        model: join.source.name,
                        field: join.relation.name
                    )
                case .done:
                    continue
                case nil:
                    path.append(join)
                    try visit(join.target.name)
                    path.removeLast()
                }
            }
            marks[name] = .done
        }
        for name in order where marks[name] == nil { try visit(name) }
    }
}

/// A model's primary key values, in primary key order.
struct ModelIdentifier: Hashable, Sendable, CustomStringConvertible {
    let values: [FieldValue]

    init(_ values: [FieldValue]) {
        self.values = values
    }

    init(of fieldValues: [FieldValue], in schema: ModelSchema) {
        values = schema.primaryKeyIndices.map { fieldValues[$0] }
    }

    /// The identifier as text: the value itself for single-field keys, and the values joined by
    /// `#` for composite keys (as Amplify writes them).
    var description: String {
        values.map { value in
            switch value {
            case .string(let text): text
            default: value.jsonText
            }
        }.joined(separator: "#")
    }
}
