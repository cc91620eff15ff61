public import DataStore

/// A GraphQL schema read for swift-datastore: its models, enums and non-model types, with what the
/// Amplify transformer would add (implicit `id`, timestamps, relation keys, join models).
public struct SchemaDocument: Sendable {
    /// The `@model` types, in source order, then generated join models.
    public let models: [ModelDefinition]
    /// The enums, in source order.
    public let enums: [EnumDefinition]
    /// The non-model types that models can store, in source order.
    public let nonModels: [NonModelDefinition]
    /// Names of the types kept only for the server: `Query`, `Mutation`, `Subscription`, inputs,
    /// interfaces, unions, and object types that cannot be stored in a model.
    public let serverOnlyTypes: [String]
    /// Things accepted but without effect on models (ignored directives, …).
    public let notes: [SchemaNote]

    /// The models' storage schemas.
    public var modelSchemas: [ModelSchema] { models.map(\.schema) }

    /// The schema version: ``SchemaVersion/hash(of:)`` of the models' storage schemas.
    public var versionHash: String { SchemaVersion.hash(of: modelSchemas) }

    /// The model called `name`.
    public func model(named name: String) -> ModelDefinition? { models.first { $0.schema.name == name } }
}

/// Where a definition is in the schema source.
public struct SourcePosition: Hashable, Sendable {
    /// The line, from 1.
    public let line: Int
    /// The column, from 1.
    public let column: Int
}

/// A `@model` type.
public struct ModelDefinition: Sendable {
    /// The storage schema: stored fields (declared and implicit), primary key, indexes, relations.
    public let schema: ModelSchema
    /// The type's description (its doc comment).
    public let description: String?
    /// Per stored field, in ``ModelSchema/fields`` order.
    public let fields: [SchemaField]
    /// The `@model` arguments and related options.
    public let options: ModelOptions
    /// The `@auth` rules, for the server.
    public let authRules: [AuthRule]
    /// The stored name when `@refersTo(name:)` renames the model's table.
    public let storedName: String?
    /// Whether the transformer generates this model (the join model of a `@manyToMany`).
    public let isGenerated: Bool
    /// Whether `@primaryKey` (or a v1 `@key` without a name) declares the primary key, rather
    /// than the implicit or plain `id`: the API's `list` query then takes key arguments.
    public let declaresPrimaryKey: Bool
    /// The secondary indexes that name a `queryField`, in source order: each becomes a query.
    public let indexQueries: [IndexQuery]
    /// Where the type is declared (the first `@manyToMany` field, for join models).
    public let position: SourcePosition
    /// Descriptions of the relation fields (which are not stored fields), by relation name.
    public let relationDescriptions: [String: String]
}

/// A secondary index that the API exposes as a query (`@index(queryField:)`, or a v1 `@key` with
/// a name and a `queryField`).
public struct IndexQuery: Hashable, Sendable {
    /// The index's name.
    public let name: String
    /// The query's name.
    public let queryField: String
    /// The partition key field, then the sort key fields.
    public let fields: [String]
}

/// Where a stored field comes from.
public enum FieldOrigin: String, Hashable, Sendable {
    /// Declared in the schema.
    case declared
    /// The `id` the transformer adds when a model declares no primary key.
    case implicitID
    /// `createdAt`/`updatedAt`, added unless the model declares or disables them.
    case timestamp
    /// A foreign key the transformer adds for a relation declared without `fields`.
    case relationKey
    /// An owner or groups field an `@auth` rule names and the model does not declare.
    case authRule
}

/// A stored field of a model or non-model type.
public struct SchemaField: Sendable {
    /// The field's name.
    public let name: String
    /// Its description (doc comment).
    public let description: String?
    /// Where it comes from.
    public let origin: FieldOrigin
    /// The `@default(value:)`, converted to the field's type.
    public let defaultValue: FieldValue?
    /// The stored name when `@refersTo(name:)` renames the column.
    public let storedName: String?
    /// The `@auth` rules on the field, for the server.
    public let authRules: [AuthRule]
    /// Where the field is declared (the model, for implicit fields).
    public let position: SourcePosition
}

/// The `@model` arguments.
public struct ModelOptions: Hashable, Sendable {
    /// The `queries:` argument as given (nil when absent: the default operations).
    public let queries: FieldValue?
    /// The `mutations:` argument as given.
    public let mutations: FieldValue?
    /// The `subscriptions:` argument as given.
    public let subscriptions: FieldValue?
    /// The `createdAt` timestamp field's name, or nil when timestamps are disabled.
    public let createdAtField: String?
    /// The `updatedAt` timestamp field's name, or nil when timestamps are disabled.
    public let updatedAtField: String?
}

/// One `@auth` rule.
public struct AuthRule: Hashable, Sendable {
    /// `owner`, `groups`, `private`, `public` or `custom`.
    public let allow: String
    /// The rule's `provider` (`apiKey`, `userPools`, `iam`, `oidc`, `function`), if given.
    public let provider: String?
    /// The field that holds the owner (`owner` rules).
    public let ownerField: String?
    /// The token claim that identifies the owner.
    public let identityClaim: String?
    /// The token claim that lists the caller's groups.
    public let groupClaim: String?
    /// The groups a static `groups` rule names.
    public let groups: [String]
    /// The groups a static `groups` rule names.
    public let groupsField: String?
    /// The operations the rule grants; nil means all.
    public let operations: [String]?
}

extension AuthRule {
    /// The rule as a model's schema carries it to a client; nil for a strategy or provider the
    /// parser accepted but a client cannot follow.
    public var modelAuthRule: ModelAuthRule? {
        guard let strategy = ModelAuthRule.Strategy(rawValue: allow) else { return nil }
        var resolvedProvider: ModelAuthRule.Provider?
        if let provider {
            guard let known = ModelAuthRule.Provider(rawValue: provider) else { return nil }
            resolvedProvider = known
        }
        return ModelAuthRule(
            strategy: strategy,
            provider: resolvedProvider,
            ownerField: ownerField,
            identityClaim: identityClaim,
            groupClaim: groupClaim,
            groups: groups,
            groupsField: groupsField,
            operations: operations?.compactMap(ModelAuthRule.Operation.init(rawValue:))
        )
    }
}

/// An enum type.
public struct EnumDefinition: Sendable {
    /// The enum as models store it.
    public let enumType: EnumType
    /// The value as text, for messages and logs.
    public let description: String?
    /// Descriptions of the values, by GraphQL value.
    public let valueDescriptions: [String: String]
    /// Where the type is declared.
    public let position: SourcePosition
}

/// A non-model object type that models can store (as JSON in SQLite).
public struct NonModelDefinition: Sendable {
    /// The type as models store it.
    public let embeddedType: EmbeddedType
    /// The value as text, for messages and logs.
    public let description: String?
    /// Per field, in ``EmbeddedType/fields`` order.
    public let fields: [SchemaField]
    /// Where the type is declared.
    public let position: SourcePosition
}
