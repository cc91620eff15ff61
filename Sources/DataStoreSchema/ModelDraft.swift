import DataStore

/// A model being read: what it declares, and what relations add to it.
final class ModelDraft {
    let name: String
    let position: SourcePosition
    let description: String?
    var hasImplicitID = false
    var declared: [(field: ModelField, info: SchemaField)] = []
    var timestamps: [(field: ModelField, info: SchemaField)] = []
    var relationKeys: [(field: ModelField, info: SchemaField)] = []
    var authFields: [(field: ModelField, info: SchemaField)] = []
    var primaryKey: [String] = []
    var indexes: [ModelIndex] = []
    var relations: [ModelRelation] = []
    var relationFields: [RelationFieldDraft] = []
    var options = ModelOptions(
        queries: nil,
        mutations: nil,
        subscriptions: nil,
        createdAtField: nil,
        updatedAtField: nil
    )
    var authRules: [AuthRule] = []
    var storedName: String?
    var isGenerated = false
    /// v1 `@key`s with a name, for `@connection(keyName:)`.
    var namedKeys: [String: [String]] = [:]
    /// Whether `@primaryKey` or a v1 `@key` without a name declares the primary key.
    var declaresPrimaryKey = false
    /// The indexes that name a `queryField`, and where each is declared.
    var indexQueries: [(query: IndexQuery, position: SourcePosition)] = []

    init(name: String, position: SourcePosition, description: String?) {
        self.name = name
        self.position = position
        self.description = description
    }

    var allFields: [(field: ModelField, info: SchemaField)] {
        (hasImplicitID ? [Self.implicitID(at: position)] : []) + declared + timestamps + relationKeys + authFields
    }

    func field(named name: String) -> ModelField? {
        allFields.first { $0.field.name == name }?.field
    }

    static func implicitID(at position: SourcePosition) -> (field: ModelField, info: SchemaField) {
        (
            .required("id", .id),
            SchemaField(
                name: "id",
                description: nil,
                origin: .implicitID,
                defaultValue: nil,
                storedName: nil,
                authRules: [],
                position: position
            )
        )
    }

    /// Adds a foreign key field the transformer creates for a relation, unless a field of that
    /// name already exists (then the existing field serves as the key).
    func addRelationKey(_ name: String, type: FieldType) {
        guard field(named: name) == nil else { return }
        relationKeys.append(
            (
                .optional(name, type),
                SchemaField(
                    name: name,
                    description: nil,
                    origin: .relationKey,
                    defaultValue: nil,
                    storedName: nil,
                    authRules: [],
                    position: position
                )
            )
        )
    }

    /// Adds the fields `@auth` rules name that the model does not declare, as the transformer
    /// does: an owner field holds one identity (`String`), a dynamic groups field a list of groups.
    func addAuthFields() {
        let rules = authRules + declared.flatMap(\.info.authRules)
        for rule in rules {
            let added: ModelField
            switch rule.allow {
            case "owner": added = .optional(rule.ownerField ?? "owner", .string)
            case "groups":
                guard let name = rule.groupsField else { continue }
                added = .optional(name, .list(of: .string, elementsRequired: false))
            default: continue
            }
            guard field(named: added.name) == nil else { continue }
            authFields.append(
                (
                    added,
                    SchemaField(
                        name: added.name,
                        description: nil,
                        origin: .authRule,
                        defaultValue: nil,
                        storedName: nil,
                        authRules: [],
                        position: position
                    )
                )
            )
        }
    }

    func addIndex(_ index: ModelIndex) {
        guard !indexes.contains(where: { $0.name == index.name || $0.fields == index.fields }) else { return }
        indexes.append(index)
    }
}

/// A field whose type is a model: a relation, resolved once every model is read.
struct RelationFieldDraft {
    let name: String
    let reference: TypeReference
    let relatedModel: String
    let directive: DirectiveUse
    let position: SourcePosition
    let description: String?
}
