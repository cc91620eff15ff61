import DataStore
import GraphQL

extension SchemaReader {
    static let relationDirectives: Set<String> = ["hasOne", "hasMany", "belongsTo", "manyToMany", "connection"]

    func readModel(_ object: ObjectTypeDefinition) {
        let name = object.name.value
        let draft = ModelDraft(name: name, position: position(of: object.loc), description: object.description?.value)
        checkTypeName(name, at: draft.position)
        drafts.append(draft)
        draftsByName[name] = draft

        var unnamedKey: (fields: [String], position: SourcePosition)?
        var timestamps: (createdAt: String?, updatedAt: String?) = ("createdAt", "updatedAt")
        for use in directives(typeDirectives(of: name), on: .type, of: name) {
            switch use.name {
            case "model":
                timestamps = readTimestamps(use, of: name)
                draft.options = ModelOptions(
                    queries: use.arguments["queries"]?.fieldValue,
                    mutations: use.arguments["mutations"]?.fieldValue,
                    subscriptions: use.arguments["subscriptions"]?.fieldValue,
                    createdAtField: timestamps.createdAt,
                    updatedAtField: timestamps.updatedAt
                )
            case "auth":
                draft.authRules += readAuthRules(use, of: name)
            case "key":
                let fields = use.arguments["fields"]?.stringList ?? []
                if let keyName = use.arguments["name"]?.string {
                    draft.namedKeys[keyName] = fields
                    draft.addIndex(ModelIndex(name: keyName, fields: fields))
                    if let queryField = use.arguments["queryField"]?.string, !fields.isEmpty {
                        draft.indexQueries.append(
                            (IndexQuery(name: keyName, queryField: queryField, fields: fields), use.position)
                        )
                    }
                } else if unnamedKey != nil {
                    error(
                        use.position,
                        "\(name) has two @key directives without a name",
                        hint: "a model has one primary key"
                    )
                } else {
                    unnamedKey = (fields, use.position)
                }
            case "refersTo":
                draft.storedName = use.arguments["name"]?.string
            case "versioned":
                note(use.position, "@versioned on \(name): conflict detection is always on in swift-datastore")
            default:
                break
            }
        }
        if draft.options.createdAtField == nil, draft.options.updatedAtField == nil, timestamps.createdAt != nil {
            draft.options = ModelOptions(
                queries: nil,
                mutations: nil,
                subscriptions: nil,
                createdAtField: timestamps.createdAt,
                updatedAtField: timestamps.updatedAt
            )
        }

        var primaryKey: (fields: [String], position: SourcePosition)?
        var seen: Set<String> = []
        for field in fields(of: name) {
            let fieldName = field.name.value
            let fieldPosition = position(of: field.loc)
            let owner = "\(name).\(fieldName)"
            checkFieldName(fieldName, of: name, at: fieldPosition)
            guard seen.insert(fieldName).inserted else {
                error(fieldPosition, "\(name) declares the field \(fieldName) twice")
                continue
            }
            let uses = directives(field.directives, on: .field, of: owner)
            let reference = TypeReference(field.type)
            let relationUses = uses.filter { Self.relationDirectives.contains($0.name) }
            if modelNames.contains(reference.baseName) {
                guard let relation = relationUses.first else {
                    // An invalid relation directive was reported already.
                    if field.directives.contains(where: { Self.relationDirectives.contains($0.name.value) }) {
                        continue
                    }
                    error(
                        fieldPosition,
                        "\(owner) has the model type \(reference.baseName) but no relation directive",
                        hint: "add @hasOne, @hasMany, @belongsTo or @manyToMany (or v1 @connection)"
                    )
                    continue
                }
                if relationUses.count > 1 {
                    error(relationUses[1].position, "\(owner) has more than one relation directive")
                }
                draft.relationFields.append(
                    RelationFieldDraft(
                        name: fieldName,
                        reference: reference,
                        relatedModel: reference.baseName,
                        directive: relation,
                        position: fieldPosition,
                        description: field.description?.value
                    )
                )
                continue
            }
            if let relation = relationUses.first {
                error(
                    relation.position,
                    "@\(relation.name) on \(owner) needs a field whose type is a @model type",
                    hint: "\(reference.baseName) is not a @model type"
                )
                continue
            }
            guard let type = storedType(reference) else {
                reportUnstorable(
                    reference,
                    owner: owner,
                    at: position(of: field.type.loc) == SourcePosition(line: 1, column: 1)
                        ? fieldPosition : position(of: field.type.loc)
                )
                continue
            }
            var defaultValue: FieldValue?
            var storedName: String?
            var fieldAuth: [AuthRule] = []
            for use in uses {
                switch use.name {
                case "primaryKey":
                    if primaryKey != nil {
                        error(
                            use.position,
                            "\(name) has more than one @primaryKey",
                            hint: "a model has one primary key"
                        )
                    } else {
                        primaryKey = ([fieldName] + (use.arguments["sortKeyFields"]?.stringList ?? []), use.position)
                    }
                case "index":
                    let sortKeys = use.arguments["sortKeyFields"]?.stringList ?? []
                    let indexName =
                        use.arguments["name"]?.string
                        ?? "by" + ([fieldName] + sortKeys).map(Naming.upperFirst).joined(separator: "And")
                    if draft.indexes.contains(where: { $0.name == indexName }) {
                        error(use.position, "\(name) has two indexes named \(indexName)")
                    }
                    draft.indexes.append(ModelIndex(name: indexName, fields: [fieldName] + sortKeys))
                    if let queryField = use.arguments["queryField"]?.string {
                        draft.indexQueries.append(
                            (
                                IndexQuery(name: indexName, queryField: queryField, fields: [fieldName] + sortKeys),
                                use.position
                            )
                        )
                    }
                    checkIndexFields(
                        sortKeys,
                        of: name,
                        fields: fields(of: name),
                        at: use.position(of: "sortKeyFields")
                    )
                case "default":
                    defaultValue = readDefault(use, type: type, isRequired: reference.isRequired, of: owner)
                case "refersTo":
                    storedName = use.arguments["name"]?.string
                case "auth":
                    fieldAuth += readAuthRules(use, of: owner)
                default:
                    break
                }
            }
            draft.declared.append(
                (
                    ModelField(name: fieldName, type: type, isRequired: reference.isRequired),
                    SchemaField(
                        name: fieldName,
                        description: field.description?.value,
                        origin: .declared,
                        defaultValue: defaultValue,
                        storedName: storedName,
                        authRules: fieldAuth,
                        position: fieldPosition
                    )
                )
            )
        }

        // The primary key: @primaryKey, v1 @key without a name, or `id`.
        if primaryKey != nil, let unnamedKey {
            error(unnamedKey.position, "\(name) has both @primaryKey and a v1 @key without a name", hint: "keep one")
        }
        if let key = primaryKey ?? unnamedKey {
            draft.primaryKey = key.fields
            draft.declaresPrimaryKey = true
            for keyField in key.fields {
                guard let field = draft.field(named: keyField) else {
                    error(key.position, "the primary key of \(name) names \(keyField), which is not a field of \(name)")
                    continue
                }
                if !field.isRequired || !field.type.isScalar || field.type == .json {
                    error(
                        key.position,
                        "the primary key field \(name).\(keyField) must be a required single value, not \(field.type.graphQLName)\(field.isRequired ? "!" : "")",
                        hint: "declare it as \(field.type.graphQLName)!"
                    )
                }
            }
        } else if let id = draft.field(named: "id") {
            draft.primaryKey = ["id"]
            if !id.isRequired || (id.type != .id && id.type != .string) {
                let idPosition = draft.declared.first { $0.field.name == "id" }?.info.position ?? draft.position
                error(
                    idPosition,
                    "\(name) has no primary key: its id field is \(id.type.graphQLName)\(id.isRequired ? "!" : ""), not ID!",
                    hint: "declare id: ID!, or mark the primary key with @primaryKey"
                )
            }
        } else {
            draft.hasImplicitID = true
            draft.primaryKey = ["id"]
        }

        // Timestamps the model does not declare itself.
        for timestamp in [timestamps.createdAt, timestamps.updatedAt].compactMap({ $0 })
        where draft.field(named: timestamp) == nil {
            draft.timestamps.append(
                (
                    .optional(timestamp, .dateTime, isReadOnly: true),
                    SchemaField(
                        name: timestamp,
                        description: nil,
                        origin: .timestamp,
                        defaultValue: nil,
                        storedName: nil,
                        authRules: [],
                        position: draft.position
                    )
                )
            )
        }
        for index in draft.indexes {
            for field in index.fields where draft.field(named: field) == nil {
                error(
                    draft.position,
                    "the index \(index.name) of \(name) names \(field), which is not a field of \(name)"
                )
            }
        }
    }

    private func checkIndexFields(
        _ names: [String],
        of model: String,
        fields: [GraphQL.FieldDefinition],
        at position: SourcePosition
    ) {
        for name in names where !fields.contains(where: { $0.name.value == name }) {
            error(position, "the sort key field \(name) is not a field of \(model)")
        }
    }

    private func reportUnstorable(_ reference: TypeReference, owner: String, at position: SourcePosition) {
        let base = reference.baseName
        switch kindOfType(base) {
        case nil:
            error(
                position,
                "unknown type \(base) for \(owner)",
                hint: "define it, or use a scalar such as String, Int, Float, Boolean, ID or an AWS scalar"
            )
        case "object":
            error(
                position,
                "\(owner) has the type \(base), which cannot be stored in a model",
                hint: "a non-model type stored in a model may only contain scalars, enums and other such types"
            )
        default:
            error(
                position,
                "\(owner) has the type \(base), an input, interface, union or custom scalar, which a model cannot store",
                hint: "use an enum, a scalar or a non-model object type"
            )
        }
    }

    /// The `timestamps:` argument of `@model`.
    private func readTimestamps(_ use: DirectiveUse, of model: String) -> (createdAt: String?, updatedAt: String?) {
        guard let value = use.arguments["timestamps"] else { return ("createdAt", "updatedAt") }
        switch value {
        case .null:
            return (nil, nil)
        case .object(let members):
            var result: (createdAt: String?, updatedAt: String?) = ("createdAt", "updatedAt")
            for member in members {
                let name: String?
                switch member.value {
                case .null: name = nil
                case .string(let text): name = text
                default:
                    error(
                        use.position(of: "timestamps"),
                        "@model(timestamps:) values must be strings or null (on \(model))"
                    )
                    continue
                }
                switch member.name {
                case "createdAt": result.createdAt = name
                case "updatedAt": result.updatedAt = name
                default:
                    error(
                        use.position(of: "timestamps"),
                        "@model(timestamps:) has no key \(member.name) (on \(model))",
                        hint: "use createdAt and updatedAt"
                    )
                }
            }
            return result
        default:
            error(use.position(of: "timestamps"), "@model(timestamps:) must be an object or null (on \(model))")
            return ("createdAt", "updatedAt")
        }
    }

    /// Assembles each model's storage schema and checks it.
    func finishModels() -> [ModelDefinition] {
        let definitions = assembleModels()
        checkIndexQueries(definitions)
        return definitions
    }

    /// Index queries become fields of the API's `Query` type: each needs a GraphQL name that no
    /// other query field (a model's get, list or sync, another index's query) has.
    private func checkIndexQueries(_ definitions: [ModelDefinition]) {
        var taken: Set<String> = []
        for definition in definitions {
            let schema = definition.schema
            taken.formUnion(["get\(schema.name)", "list\(schema.pluralName)", "sync\(schema.pluralName)"])
        }
        for draft in drafts {
            for (query, position) in draft.indexQueries {
                let name = query.queryField
                if !GraphQLName.isValid(name) {
                    error(
                        position,
                        "the queryField \"\(name)\" of the index \(draft.name).\(query.name) is not a GraphQL name",
                        hint: "use letters, digits and underscores, not starting with a digit"
                    )
                } else if !taken.insert(name).inserted {
                    error(
                        position,
                        "the queryField \(name) of the index \(draft.name).\(query.name) is already a query of the API",
                        hint: "give the index another queryField"
                    )
                }
            }
        }
    }

    private func assembleModels() -> [ModelDefinition] {
        drafts.map { draft in
            draft.addAuthFields()
            let all = draft.allFields
            let schema = ModelSchema(
                name: draft.name,
                fields: all.map(\.field),
                primaryKey: draft.primaryKey,
                indexes: draft.indexes,
                relations: draft.relations,
                operationArguments: ModelOperationArguments(
                    queries: draft.options.queries,
                    mutations: draft.options.mutations,
                    subscriptions: draft.options.subscriptions
                ),
                authRules: draft.authRules.compactMap(\.modelAuthRule)
            )
            if errors.isEmpty {
                do throws(DataStoreError) {
                    try schema.validateDefinition()
                } catch {
                    self.error(draft.position, error.message)
                }
            }
            return ModelDefinition(
                schema: schema,
                description: draft.description,
                fields: all.map(\.info),
                options: draft.options,
                authRules: draft.authRules,
                storedName: draft.storedName,
                isGenerated: draft.isGenerated,
                declaresPrimaryKey: draft.declaresPrimaryKey,
                indexQueries: draft.indexQueries.map(\.query),
                position: draft.position,
                relationDescriptions: Dictionary(
                    draft.relationFields.compactMap { field in field.description.map { (field.name, $0) } },
                    uniquingKeysWith: { first, _ in first }
                )
            )
        }
    }
}
