public import DataStore

/// The GraphQL documents a DataStore client sends for one model (PROTOCOL §3.1, §6), and the
/// variables that go with them.
///
/// Every document selects the same fields: the model's stored fields (foreign keys of its
/// relations included; the related models themselves are synced as their own models),
/// non-model values field by field, and the sync metadata `_version`, `_deleted`,
/// `_lastChangedAt`, then `__typename`.
///
/// A selection set is finite, so a non-model type that contains itself (`children: [Node]`) is
/// selected to a bounded depth: the selection follows such a type until types have repeated
/// ``recursionLimit`` times on a path (a type that contains itself directly: four levels of it),
/// and leaves out the fields that would repeat one more time. Values nested deeper do not travel;
/// keep recursive fields optional, as a required one cannot end at the limit.
public struct ModelDocuments: Hashable, Sendable {
    /// The model.
    public let schema: ModelSchema
    /// Its root fields.
    public let names: ModelOperationNames
    /// The fields every document selects, as a selection set (`{ id title … }`).
    public let selectionSet: String
    /// The sync query: `filter`, `limit`, `nextToken` and `lastSync` as variables.
    public let syncQuery: String
    /// The query that reads one item by its primary key (the key fields as variables), or nil
    /// when the model turns `get` off.
    public let getQuery: String?
    private let mutations: [MutationKind: String]
    private let subscriptions: [MutationKind: String]
    /// Whether the selection stops anywhere (a non-model type contains itself).
    private let isBounded: Bool

    /// How many times non-model types may repeat on a path of the selection (see above). With the
    /// sync query's own two levels, the deepest selection stays within the server's default depth
    /// limit of 12.
    public static let recursionLimit = 3

    /// The documents for `schema` under its operation names.
    public init(schema: ModelSchema, names: ModelOperationNames? = nil) {
        let names = names ?? ModelOperationNames(schema: schema)
        self.schema = schema
        self.names = names
        // A model's selection always has the metadata fields.
        let selection = Self.selectionSet(of: schema.fields, indent: "    ", extra: Self.metadataFields) ?? "{}"
        selectionSet = selection
        let model = schema.name
        syncQuery = """
            query \(Self.operationName(names.sync))($filter: Model\(model)FilterInput, $limit: Int, \
            $nextToken: String, $lastSync: AWSTimestamp) {
              \(names.sync)(filter: $filter, limit: $limit, nextToken: $nextToken, lastSync: $lastSync) {
                items \(Self.selectionSet(of: schema.fields, indent: "      ", extra: Self.metadataFields) ?? "{}")
                nextToken
                startedAt
              }
            }
            """
        getQuery = names.get.map { field in
            let keys = schema.primaryKey.compactMap { name in schema.fields.first { $0.name == name } }
            let variables = keys.map { "$\($0.name): \($0.type.graphQLName)!" }.joined(separator: ", ")
            let arguments = keys.map { "\($0.name): $\($0.name)" }.joined(separator: ", ")
            return """
                query \(Self.operationName(field))(\(variables)) {
                  \(field)(\(arguments)) \(selection)
                }
                """
        }
        var mutations: [MutationKind: String] = [:]
        var subscriptions: [MutationKind: String] = [:]
        for kind in [MutationKind.created, .updated, .deleted] {
            if let field = names.mutation(kind) {
                mutations[kind] = """
                    mutation \(Self.operationName(field))($input: \(kind.inputPrefix)\(model)Input!, \
                    $condition: Model\(model)ConditionInput) {
                      \(field)(input: $input, condition: $condition) \(selection)
                    }
                    """
            }
            if let field = names.subscription(kind) {
                subscriptions[kind] = Self.subscriptionDocument(field, model: model, selection: selection, owner: nil)
            }
        }
        self.mutations = mutations
        self.subscriptions = subscriptions
        isBounded = Self.containsItself(schema.fields, enclosing: [])
    }

    /// Where `values` (a record of this model, in field order) hold a value the documents do not
    /// select — nested deeper than the selection follows a type that contains itself — as a
    /// path (`tree.children[0].children`); nil when all of it travels. Such a value would reach
    /// the backend in a mutation but not come back in its answer or a sync.
    public func unselectedPath(in values: [FieldValue]) -> String? {
        guard isBounded else { return nil }
        return Self.unselected(zip(schema.fields, values), enclosing: [], repeats: 0)?.joined(separator: ".")
    }

    /// The mutation document of a kind of write, or nil when the model turns it off.
    public func mutation(_ kind: MutationKind) -> String? { mutations[kind] }

    /// The subscription document of a kind of write, or nil when the model turns it off.
    public func subscription(_ kind: MutationKind) -> String? { subscriptions[kind] }

    /// The request for one page of a base sync (`lastSync` nil) or delta sync.
    public func syncRequest(
        limit: Int? = nil,
        nextToken: String? = nil,
        lastSync: Int64? = nil,
        filter: FieldValue? = nil
    ) -> OperationRequest {
        var variables: [String: FieldValue] = [:]
        if let limit { variables["limit"] = .int(limit) }
        if let nextToken { variables["nextToken"] = .string(nextToken) }
        if let lastSync { variables["lastSync"] = .int(Int(lastSync)) }
        if let filter { variables["filter"] = filter }
        return OperationRequest(query: syncQuery, variables: variables)
    }

    /// The request that reads the item whose primary key `values` hold (other values are
    /// ignored), or nil when the model turns `get` off.
    public func getRequest(key values: [String: FieldValue]) -> OperationRequest? {
        guard let getQuery else { return nil }
        var variables: [String: FieldValue] = [:]
        for name in schema.primaryKey { variables[name] = values[name] ?? .null }
        return OperationRequest(query: getQuery, variables: variables)
    }

    /// The request that sends one local write, or nil when the model turns that mutation off.
    ///
    /// - Parameters:
    ///   - kind: the kind of write.
    ///   - values: the model's stored values by field name; for a delete, only the key is sent.
    ///     Fields only the backend sets (`createdAt`, `updatedAt`) are left out.
    ///   - version: the `_version` the write is based on (nil for a create).
    ///   - condition: a `Model<Name>ConditionInput` value, when the write is conditional.
    public func mutationRequest(
        _ kind: MutationKind,
        values: [String: FieldValue],
        version: Int?,
        condition: FieldValue? = nil
    ) -> OperationRequest? {
        guard let document = mutations[kind] else { return nil }
        var input: [String: FieldValue] = [:]
        if kind == .deleted {
            for name in schema.primaryKey { input[name] = values[name] ?? .null }
        } else {
            for field in schema.fields where !field.isReadOnly { input[field.name] = values[field.name] ?? .null }
        }
        if let version { input["_version"] = .int(version) }
        var variables: [String: FieldValue] = ["input": .object(input)]
        if let condition { variables["condition"] = condition }
        return OperationRequest(query: document, variables: variables)
    }

    /// The request that subscribes to a kind of write, or nil when the model turns it off.
    ///
    /// - Parameters:
    ///   - kind: The kind of write: `onCreate…`, `onUpdate…` or `onDelete…`.
    ///   - filter: The subscription's `filter` argument, when the backend filters events.
    ///   - owner: An owner argument (`onCreatePost(owner: …)`): the owner field of the model's
    ///     owner rule and the subscriber's identity, for the backend to check (PROTOCOL §5).
    public func subscriptionRequest(
        _ kind: MutationKind,
        filter: FieldValue? = nil,
        owner: (field: String, value: String)? = nil
    ) -> OperationRequest? {
        guard let document = subscriptions[kind] else { return nil }
        var variables: [String: FieldValue] = filter.map { ["filter": $0] } ?? [:]
        guard let owner, let field = names.subscription(kind), GraphQLName.isValid(owner.field), owner.field != "filter"
        else { return OperationRequest(query: document, variables: variables) }
        variables[owner.field] = .string(owner.value)
        return OperationRequest(
            query: Self.subscriptionDocument(field, model: schema.name, selection: selectionSet, owner: owner.field),
            variables: variables
        )
    }

    /// The subscription document of root field `field`, with an owner argument named `owner`
    /// when given.
    private static func subscriptionDocument(
        _ field: String,
        model: String,
        selection: String,
        owner: String?
    ) -> String {
        let variables = "$filter: ModelSubscription\(model)FilterInput" + (owner.map { ", $\($0): String" } ?? "")
        let arguments = "filter: $filter" + (owner.map { ", \($0): $\($0)" } ?? "")
        return """
            subscription \(operationName(field))(\(variables)) {
              \(field)(\(arguments)) \(selection)
            }
            """
    }

    /// Whether a non-model type among `fields` contains itself.
    private static func containsItself(_ fields: [ModelField], enclosing: Set<String>) -> Bool {
        fields.contains { field in
            guard case .embedded(let embedded) = field.type.element else { return false }
            return enclosing.contains(embedded.name)
                || containsItself(embedded.fields, enclosing: enclosing.union([embedded.name]))
        }
    }

    /// Whether a selection of `fields` selects anything, by the rule of ``selectionSet(of:indent:extra:enclosing:repeats:)``.
    private static func selectsAnything(_ fields: [ModelField], enclosing: Set<String>, repeats: Int) -> Bool {
        fields.contains { field in
            guard case .embedded(let embedded) = field.type.element else { return true }
            let repeated = enclosing.contains(embedded.name)
            return !(repeated && repeats == recursionLimit)
                && selectsAnything(
                    embedded.fields,
                    enclosing: enclosing.union([embedded.name]),
                    repeats: repeats + (repeated ? 1 : 0)
                )
        }
    }

    /// The path to the first non-null value among `pairs` that the selection leaves out, walking
    /// as ``selectionSet(of:indent:extra:enclosing:repeats:)`` does.
    private static func unselected(
        _ pairs: some Sequence<(ModelField, FieldValue)>,
        enclosing: Set<String>,
        repeats: Int
    ) -> [String]? {
        for (field, value) in pairs {
            guard case .embedded(let embedded) = field.type.element, value != .null else { continue }
            let repeated = enclosing.contains(embedded.name)
            let (inner, innerRepeats) = (enclosing.union([embedded.name]), repeats + (repeated ? 1 : 0))
            guard !(repeated && repeats == recursionLimit),
                selectsAnything(embedded.fields, enclosing: inner, repeats: innerRepeats)
            else { return [field.name] }
            let objects: [(index: Int?, value: FieldValue)] =
                if case .list(let items) = value { items.enumerated().map { ($0.offset, $0.element) } } else {
                    [(nil, value)]
                }
            for (index, object) in objects {
                guard case .object(let members) = object else { continue }
                let nested = embedded.fields.lazy.map { ($0, members[$0.name] ?? .null) }
                if let path = unselected(nested, enclosing: inner, repeats: innerRepeats) {
                    return [field.name + (index.map { "[\($0)]" } ?? "")] + path
                }
            }
        }
        return nil
    }

    /// The sync metadata every document selects after the model's fields.
    static let metadataFields = ["_version", "_deleted", "_lastChangedAt", "__typename"]

    /// `createPost` → `CreatePost`: operations are named after their root field.
    private static func operationName(_ field: String) -> String {
        guard let first = field.first else { return field }
        return first.uppercased() + field.dropFirst()
    }

    /// A selection set of `fields`, each non-model value with its own fields; nil when nothing
    /// is left to select (every field a repeat past the limit), and the field is left out.
    ///
    /// - Parameters:
    ///   - enclosing: The non-model types of the path to here.
    ///   - repeats: How many of them repeat a type before them.
    private static func selectionSet(
        of fields: [ModelField],
        indent: String,
        extra: [String] = [],
        enclosing: Set<String> = [],
        repeats: Int = 0
    ) -> String? {
        var text = "{\n"
        var selected = extra.count
        for field in fields {
            if case .embedded(let embedded) = field.type.element {
                let repeated = enclosing.contains(embedded.name)
                if repeated && repeats == recursionLimit { continue }
                guard
                    let inner = selectionSet(
                        of: embedded.fields,
                        indent: indent + "  ",
                        enclosing: enclosing.union([embedded.name]),
                        repeats: repeats + (repeated ? 1 : 0)
                    )
                else { continue }
                text += indent + field.name + " " + inner + "\n"
            } else {
                text += indent + field.name + "\n"
            }
            selected += 1
        }
        for name in extra { text += indent + name + "\n" }
        guard selected > 0 else { return nil }
        return text + indent.dropLast(2) + "}"
    }
}

extension MutationKind {
    /// `Create`, `Update`, `Delete`: the prefix of the mutation's input type.
    var inputPrefix: String {
        switch self {
        case .created: "Create"
        case .updated: "Update"
        case .deleted: "Delete"
        }
    }
}

extension FieldType {
    /// The type of a list's elements (of a list of lists, the innermost); the type itself otherwise.
    var element: FieldType {
        if case .list(let element, _) = self { return element.element }
        return self
    }
}
