import DataStore
public import DataStoreAppSync
public import DataStoreSchema

/// The AppSync API the Amplify GraphQL transformer (v2, conflict detection on) generates for a
/// user's schema, as PROTOCOL §1 describes it: each model's type with its sync metadata, the
/// connection, filter, condition and mutation input types, and the `Query`, `Mutation` and
/// `Subscription` fields that read, write and watch it.
///
/// ``sdl`` is the schema as text, with the declarations of AppSync's built-in scalars and
/// directives that a generic GraphQL engine needs first.
public struct AppSyncSchema: Sendable {
    /// The user's schema, as parsed.
    public let document: SchemaDocument
    /// The generated schema, as GraphQL SDL.
    public let sdl: String
    /// The root fields generated for each model, by model name.
    public let operations: [String: ModelOperationNames]
    /// The key queries generated for each model, by model name.
    public let keyQueries: [String: ModelKeyQueries]
    /// The owner arguments each model's subscriptions take (`onCreatePost(owner: String)`), by
    /// model name: the owner fields of the rules that let owners listen.
    public let subscriptionOwnerArguments: [String: [String]]

    /// The queries that read a model by key (DynamoDB Queries).
    public struct ModelKeyQueries: Hashable, Sendable {
        /// The key arguments `list` takes when `@primaryKey` declares the model's key (a DynamoDB
        /// Query when the partition key is given); nil for a plain list.
        public let listKey: KeyArguments?
        /// The queries of the model's indexes that name a `queryField`.
        public let indexQueries: [IndexQueryField]
    }

    /// The key arguments of a key query: the partition key's value and a condition on the sort key.
    public struct KeyArguments: Hashable, Sendable {
        /// The index read, by name; nil for the primary key.
        public let index: String?
        /// The partition key argument (the field's name).
        public let partition: String
        /// The sort key condition argument: the sort key field's name, or for a sort key of
        /// several fields their names in camel case (`cityStreet`); nil when the key has no sort
        /// key (or one of Booleans, which takes no condition).
        public let sortCondition: String?
        /// Whether the key has a sort key, so that `sortDirection` applies.
        public let isSorted: Bool
    }

    /// An index's query field (`@index(name: "byCity", queryField: "peopleByCity")`).
    public struct IndexQueryField: Hashable, Sendable {
        /// The query field's name.
        public let name: String
        /// The key arguments the query takes.
        public let key: KeyArguments
    }

    /// Generates the AppSync schema for `document`.
    public init(_ document: SchemaDocument) {
        self.document = document
        var writer = AppSyncSchemaWriter(document: document)
        sdl = writer.write()
        operations = writer.operations
        keyQueries = writer.keyQueries
        subscriptionOwnerArguments = Dictionary(
            uniqueKeysWithValues: document.models.map { ($0.schema.name, AppSyncSchemaWriter.ownerArguments($0)) }
        )
    }
}

/// Writes the SDL of an ``AppSyncSchema``, in the order the transformer emits its types.
struct AppSyncSchemaWriter {
    let document: SchemaDocument
    private(set) var operations: [String: ModelOperationNames] = [:]
    private(set) var keyQueries: [String: AppSyncSchema.ModelKeyQueries] = [:]
    private var output = ""
    private var queryFields: [String] = []
    private var mutationFields: [String] = []
    private var subscriptionFields: [String] = []
    /// Key condition inputs already written (several keys share them).
    var writtenInputs: Set<String> = []

    init(document: SchemaDocument) {
        self.document = document
    }

    /// AppSync's scalars and directives, which AppSync itself knows but a GraphQL engine must be told.
    static let builtIns = """
        scalar AWSDate
        scalar AWSTime
        scalar AWSDateTime
        scalar AWSTimestamp
        scalar AWSEmail
        scalar AWSJSON
        scalar AWSURL
        scalar AWSPhone
        scalar AWSIPAddress
        directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
        directive @aws_api_key on FIELD_DEFINITION | OBJECT
        directive @aws_iam on FIELD_DEFINITION | OBJECT
        directive @aws_cognito_user_pools(cognito_groups: [String]) on FIELD_DEFINITION | OBJECT
        directive @aws_oidc on FIELD_DEFINITION | OBJECT
        directive @aws_lambda on FIELD_DEFINITION | OBJECT

        """

    /// The operators of the shared filter inputs, in the transformer's order.
    private static let comparisons = ["ne", "eq", "le", "lt", "ge", "gt"]
    private static let stringTests = ["contains", "notContains", "between", "beginsWith"]
    private static let attributeTests = ["attributeExists", "attributeType"]

    /// The input types every generated schema carries, used or not: `Model<T>Input` filters and
    /// `ModelSubscription<T>Input` subscription filters per scalar, and their helper types.
    mutating func writeSharedTypes() {
        func input(_ name: String, _ type: String, _ operators: [String]) {
            block(
                "input \(name)",
                operators.map { name in
                    let operand =
                        switch name {
                        case "between", "in", "notIn": "[\(type)]"
                        case "attributeExists": "Boolean"
                        case "attributeType": "ModelAttributeTypes"
                        case "size": "ModelSizeInput"
                        default: type
                        }
                    return "\(name): \(operand)"
                }
            )
        }
        let ordered = Self.comparisons + ["between"]
        input("ModelStringInput", "String", Self.comparisons + Self.stringTests + Self.attributeTests + ["size"])
        input("ModelIntInput", "Int", ordered + Self.attributeTests)
        input("ModelFloatInput", "Float", ordered + Self.attributeTests)
        input("ModelBooleanInput", "Boolean", ["ne", "eq"] + Self.attributeTests)
        input("ModelIDInput", "ID", Self.comparisons + Self.stringTests + Self.attributeTests + ["size"])
        input("ModelSubscriptionStringInput", "String", Self.comparisons + Self.stringTests + ["in", "notIn"])
        input("ModelSubscriptionIntInput", "Int", ordered + ["in", "notIn"])
        input("ModelSubscriptionFloatInput", "Float", ordered + ["in", "notIn"])
        input("ModelSubscriptionBooleanInput", "Boolean", ["ne", "eq"])
        input("ModelSubscriptionIDInput", "ID", Self.comparisons + Self.stringTests + ["in", "notIn"])
        block(
            "enum ModelAttributeTypes",
            ["binary", "binarySet", "bool", "list", "map", "number", "numberSet", "string", "stringSet", "_null"]
        )
        input("ModelSizeInput", "Int", ordered)
        block("enum ModelSortDirection", ["ASC", "DESC"])
    }

    mutating func write() -> String {
        output = Self.builtIns
        for model in document.models { writeType(model) }
        for definition in document.enums {
            block("enum \(definition.enumType.name)", definition.enumType.values)
        }
        for definition in document.nonModels {
            let fields = definition.embeddedType.fields
            block("type \(definition.embeddedType.name)", fields.map { "\($0.name): \(Self.typeName($0))" })
            // Mutations take non-model values as input objects of the same shape.
            block(
                "input \(definition.embeddedType.name)Input",
                fields.map { "\($0.name): \(Self.inputTypeName($0.type))\($0.isRequired ? "!" : "")" }
            )
        }
        writeSharedTypes()
        var enumInputs: Set<String> = []
        for model in document.models {
            writeConnection(model)
            writeEnumInputs(model, written: &enumInputs)
            writeFilter(model)
        }
        for model in document.models { collectQueries(model) }
        if !queryFields.isEmpty { block("type Query", queryFields) }
        for model in document.models {
            writeCondition(model)
            writeMutationInputs(model)
            collectMutations(model)
        }
        if !mutationFields.isEmpty { block("type Mutation", mutationFields) }
        for model in document.models {
            writeSubscriptionFilter(model)
            collectSubscriptions(model)
        }
        if !subscriptionFields.isEmpty { block("type Subscription", subscriptionFields) }
        return output
    }

    // MARK: Types

    private mutating func writeType(_ model: ModelDefinition) {
        let schema = model.schema
        var lines: [String] = []
        var relationKeys: [String] = []
        for (field, origin) in zip(schema.fields, model.fields.map(\.origin)) {
            switch origin {
            case .timestamp:
                continue
            case .relationKey:
                relationKeys.append("\(field.name): \(Self.typeName(field))")
            case .declared, .implicitID, .authRule:
                lines.append("\(field.name): \(Self.typeName(field))")
            }
        }
        for relation in schema.relations {
            switch relation.kind {
            case .hasMany:
                lines.append(
                    "\(relation.name)(filter: Model\(relation.relatedModel)FilterInput, sortDirection: "
                        + "ModelSortDirection, limit: Int, nextToken: String): Model\(relation.relatedModel)Connection"
                )
            case .hasOne, .belongsTo:
                lines.append("\(relation.name): \(relation.relatedModel)\(relation.isRequired ? "!" : "")")
            }
        }
        for (field, origin) in zip(schema.fields, model.fields.map(\.origin)) where origin == .timestamp {
            // The backend always sets them, so the API type makes them required.
            lines.append("\(field.name): AWSDateTime!")
        }
        lines += ["_version: Int!", "_deleted: Boolean", "_lastChangedAt: AWSTimestamp!"]
        lines += relationKeys
        block("type \(schema.name)", lines)
    }

    private mutating func writeConnection(_ model: ModelDefinition) {
        let name = model.schema.name
        block(
            "type Model\(name)Connection",
            ["items: [\(name)]!", "nextToken: String", "startedAt: AWSTimestamp"]
        )
    }

    // MARK: Operations

    func isKey(_ field: ModelField, of schema: ModelSchema) -> Bool {
        schema.primaryKey.contains(field.name)
    }

    /// The key fields as required arguments or input fields (`id: ID!`).
    private func keyFields(_ schema: ModelSchema) -> [String] {
        schema.primaryKey.compactMap { key in
            schema.field(named: key).map { "\($0.name): \($0.type.graphQLName)!" }
        }
    }

    private mutating func collectQueries(_ model: ModelDefinition) {
        let schema = model.schema
        let name = schema.name
        let names = ModelOperationNames(
            schema: schema,
            queries: model.options.queries,
            mutations: model.options.mutations,
            subscriptions: model.options.subscriptions
        )
        operations[name] = names
        if let get = names.get { queryFields.append("\(get)(\(keyFields(schema).joined(separator: ", "))): \(name)") }
        var listKey: AppSyncSchema.KeyArguments?
        if let list = names.list {
            var arguments = ["filter: Model\(name)FilterInput", "limit: Int", "nextToken: String"]
            if model.declaresPrimaryKey {
                let key = keyArguments(model, index: nil, fields: schema.primaryKey)
                listKey = key.arguments
                arguments = key.declarations(false) + arguments + ["sortDirection: ModelSortDirection"]
            }
            queryFields.append("\(list)(\(arguments.joined(separator: ", "))): Model\(name)Connection")
        }
        queryFields.append(
            "\(names.sync)(filter: Model\(name)FilterInput, limit: Int, nextToken: String, lastSync: AWSTimestamp): "
                + "Model\(name)Connection"
        )
        var indexQueries: [AppSyncSchema.IndexQueryField] = []
        for query in model.indexQueries {
            let key = keyArguments(model, index: query.name, fields: query.fields)
            let arguments =
                key.declarations(true) + [
                    "sortDirection: ModelSortDirection", "filter: Model\(name)FilterInput", "limit: Int",
                    "nextToken: String",
                ]
            queryFields.append("\(query.queryField)(\(arguments.joined(separator: ", "))): Model\(name)Connection")
            indexQueries.append(AppSyncSchema.IndexQueryField(name: query.queryField, key: key.arguments))
        }
        keyQueries[name] = AppSyncSchema.ModelKeyQueries(listKey: listKey, indexQueries: indexQueries)
    }

    private mutating func writeMutationInputs(_ model: ModelDefinition) {
        let schema = model.schema
        let name = schema.name
        let writable = zip(schema.fields, model.fields.map(\.origin)).filter { $0.1 != .timestamp }.map(\.0)
        block(
            "input Create\(name)Input",
            writable.map { field in
                // An `id` key may be left out: the server assigns one.
                let required = field.isRequired && !(field.name == "id" && field.type == .id)
                return "\(field.name): \(Self.inputTypeName(field.type))\(required ? "!" : "")"
            } + ["_version: Int"]
        )
        block(
            "input Update\(name)Input",
            writable.map { field in
                "\(field.name): \(Self.inputTypeName(field.type))\(isKey(field, of: schema) ? "!" : "")"
            } + ["_version: Int"]
        )
        block(
            "input Delete\(name)Input",
            keyFields(schema) + ["_version: Int"]
        )
    }

    private mutating func collectMutations(_ model: ModelDefinition) {
        let name = model.schema.name
        guard let operations = operations[name] else { return }
        for (field, input) in [
            (operations.create, "Create"), (operations.update, "Update"), (operations.delete, "Delete"),
        ] {
            guard let field else { continue }
            mutationFields.append(
                "\(field)(input: \(input)\(name)Input!, condition: Model\(name)ConditionInput): \(name)"
            )
        }
    }

    private mutating func collectSubscriptions(_ model: ModelDefinition) {
        let name = model.schema.name
        guard let operations = operations[name] else { return }
        for (field, mutation) in [
            (operations.onCreate, operations.create), (operations.onUpdate, operations.update),
            (operations.onDelete, operations.delete),
        ] {
            guard let field, let mutation else { continue }
            let arguments =
                ["filter: ModelSubscription\(name)FilterInput"] + Self.ownerArguments(model).map { "\($0): String" }
            subscriptionFields.append(
                "\(field)(\(arguments.joined(separator: ", "))): \(name) @aws_subscribe(mutations: [\"\(mutation)\"])"
            )
        }
    }

    /// The owner fields of `model`'s owner rules that grant listening, in rule order: each is an
    /// argument of the model's subscriptions, as the transformer adds them.
    static func ownerArguments(_ model: ModelDefinition) -> [String] {
        var names: [String] = []
        for rule in model.authRules where rule.allow == "owner" {
            if let operations = rule.operations, !operations.contains(where: { ["read", "listen"].contains($0) }) {
                continue
            }
            let name = rule.ownerField ?? "owner"
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    // MARK: Output

    static func typeName(_ field: ModelField) -> String {
        field.type.graphQLName + (field.isRequired ? "!" : "")
    }

    /// The name of a field's type in an input object: non-model types become their `…Input`.
    static func inputTypeName(_ type: FieldType) -> String {
        switch type {
        case .embedded(let embedded): "\(embedded.name)Input"
        case .list(let element, let required): "[\(inputTypeName(element))\(required ? "!" : "")]"
        default: type.graphQLName
        }
    }

    mutating func block(_ header: String, _ lines: [String]) {
        output += header + " {\n"
        for line in lines { output += "  " + line + "\n" }
        output += "}\n\n"
    }
}
