/// The models a store was opened with, indexed for the hot paths.
struct RegisteredModels: Sendable {
    struct Entry: Sendable {
        let type: any Model.Type
        let schema: ModelSchema
    }

    private let byType: [ObjectIdentifier: Entry]
    private let byName: [String: Entry]
    /// The schemas, in registration order.
    let schemas: [ModelSchema]

    init(_ types: [any Model.Type]) throws(DataStoreError) {
        var byType: [ObjectIdentifier: Entry] = [:]
        var byName: [String: Entry] = [:]
        var schemas: [ModelSchema] = []
        for type in types {
            let schema = type.schema
            try schema.validateDefinition()
            if let existing = byName[schema.name] {
                if existing.type == type { continue }
                throw DataStoreError(
                    code: .invalidSchema,
                    message: "Two model types, \(existing.type) and \(type), use the name \(schema.name).",
                    model: schema.name
                )
            }
            let entry = Entry(type: type, schema: schema)
            byType[ObjectIdentifier(type)] = entry
            byName[schema.name] = entry
            schemas.append(schema)
        }
        self.byType = byType
        self.byName = byName
        self.schemas = schemas
    }

    func entry<M: Model>(for type: M.Type) throws(DataStoreError) -> Entry {
        guard let entry = byType[ObjectIdentifier(type)] else { throw .modelNotRegistered(M.schema.name) }
        return entry
    }

    func entry(named name: String) -> Entry? { byName[name] }
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
