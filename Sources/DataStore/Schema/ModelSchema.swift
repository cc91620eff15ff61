/// A stored field of a model or of an embedded type.
public struct ModelField: Hashable, Sendable {
    /// The GraphQL field name, also the SQLite column name.
    public let name: String
    /// The GraphQL type.
    public let type: FieldType
    /// Whether the field is non-null (`!`).
    public let isRequired: Bool
    /// Whether only the backend sets the field (`createdAt`/`updatedAt` added by the transformer).
    public let isReadOnly: Bool

    /// A field; see also ``required(_:_:)`` and ``optional(_:_:isReadOnly:)``.
    public init(name: String, type: FieldType, isRequired: Bool, isReadOnly: Bool = false) {
        self.name = name
        self.type = type
        self.isRequired = isRequired
        self.isReadOnly = isReadOnly
    }

    /// A required field.
    public static func required(_ name: String, _ type: FieldType) -> ModelField {
        ModelField(name: name, type: type, isRequired: true)
    }

    /// An optional field.
    public static func optional(_ name: String, _ type: FieldType, isReadOnly: Bool = false) -> ModelField {
        ModelField(name: name, type: type, isRequired: false, isReadOnly: isReadOnly)
    }
}

/// A secondary index (`@index`, v1 `@key(name:)`): an SQLite index over the fields, in order.
public struct ModelIndex: Hashable, Sendable {
    /// The index name from the schema.
    public let name: String
    /// The indexed fields: the partition key first, then the sort keys.
    public let fields: [String]

    /// An index named `name` over `fields`, in order.
    public init(name: String, fields: [String]) {
        self.name = name
        self.fields = fields
    }
}

/// A relation from one model to another (`@hasOne`, `@hasMany`, `@belongsTo`, v1 `@connection`;
/// `@manyToMany` becomes two `hasMany` relations to a join model).
///
/// The relation itself is not stored: its foreign key fields are ordinary stored fields, either
/// on this model (``localFields``) or on the related one (``relatedFields``).
public struct ModelRelation: Hashable, Sendable {
    /// How many related models the relation field holds, and which side is the parent.
    public enum Kind: String, Hashable, Sendable {
        /// At most one related model; this model is the parent.
        case hasOne
        /// Any number of related models; this model is the parent.
        case hasMany
        /// The parent model.
        case belongsTo
    }

    /// The GraphQL field that holds the relation (`comments`, `post`).
    public let name: String
    /// The kind of relation.
    public let kind: Kind
    /// The related model's name.
    public let relatedModel: String
    /// The fields of this model that the relation matches, in order: the foreign key for
    /// `belongsTo` (and `hasOne` keyed on this side); for `hasMany` the fields the children's keys
    /// hold. Empty means this model's primary key.
    public let localFields: [String]
    /// The fields of the related model that the relation matches, pairwise with ``localFields``:
    /// the children's foreign key for `hasMany` (and `hasOne` keyed on the related side). Empty
    /// means the related model's primary key.
    ///
    /// A model and a related model are related when the values of these two field lists are
    /// equal and not null; where one side is empty (the primary key), it is shortened to the other
    /// side's length, as a v1 `@connection` may match a key prefix.
    public let relatedFields: [String]
    /// The related model's index whose leading fields ``relatedFields`` are, when the schema names
    /// one (`@hasMany(indexName:)`, v1 `@connection(keyName:)`): a server returns the related
    /// models in that index's order.
    public let index: String?
    /// The relation field on the related model that points back, when the relation is
    /// bidirectional.
    public let inverse: String?
    /// Whether the relation field is non-null in the schema.
    public let isRequired: Bool

    /// A relation; see the properties for what each argument means.
    public init(
        name: String,
        kind: Kind,
        relatedModel: String,
        localFields: [String] = [],
        relatedFields: [String] = [],
        index: String? = nil,
        inverse: String? = nil,
        isRequired: Bool = false
    ) {
        self.name = name
        self.kind = kind
        self.relatedModel = relatedModel
        self.localFields = localFields
        self.relatedFields = relatedFields
        self.index = index
        self.inverse = inverse
        self.isRequired = isRequired
    }
}

/// Everything the store needs to know about a model type: its stored fields (in the order the
/// model encodes them), its primary key and its secondary indexes.
///
/// Generated code declares one per model; hand-written models declare it the same way:
///
/// ```swift
/// static let schema = ModelSchema(
///     name: "Post",
///     fields: [
///         .required("id", .id),
///         .required("title", .string),
///         .required("rating", .int),
///         .required("status", .enumeration(PostStatus.enumType)),
///     ]
/// )
/// ```
public struct ModelSchema: Hashable, Sendable {
    /// The GraphQL type name; also the SQLite table name.
    public let name: String
    /// The plural name used by the sync protocol (`syncPosts`).
    public let pluralName: String
    /// The stored fields, in encoding order.
    public let fields: [ModelField]
    /// The primary key fields (`["id"]` unless the schema says otherwise).
    public let primaryKey: [String]
    /// The secondary indexes.
    public let indexes: [ModelIndex]
    /// The relations to other models.
    public let relations: [ModelRelation]
    /// The `@model` arguments that rename or turn off the model's GraphQL operations, which sync
    /// names its requests by.
    public let operationArguments: ModelOperationArguments
    /// The model's `@auth` rules, which a synced store follows to choose credentials per request.
    public let authRules: [ModelAuthRule]

    /// Positions of fields by name, for O(1) lookups.
    let fieldIndexByName: [String: Int]
    /// Positions of the primary key fields in ``fields``.
    let primaryKeyIndices: [Int]
    /// The SQLite column of each field, in ``fields`` order (see ``storageColumns(for:)``).
    let columns: [String]
    /// The SQLite columns by field name.
    let columnByName: [String: String]

    /// A model schema. `pluralName` defaults to the transformer's plural of `name`; `primaryKey`
    /// to `["id"]`.
    public init(
        name: String,
        pluralName: String? = nil,
        fields: [ModelField],
        primaryKey: [String] = ["id"],
        indexes: [ModelIndex] = [],
        relations: [ModelRelation] = [],
        operationArguments: ModelOperationArguments = ModelOperationArguments(),
        authRules: [ModelAuthRule] = []
    ) {
        self.authRules = authRules
        self.name = name
        self.pluralName = pluralName ?? Self.defaultPlural(of: name)
        self.fields = fields
        self.primaryKey = primaryKey
        self.indexes = indexes
        self.relations = relations
        self.operationArguments = operationArguments
        var byName: [String: Int] = [:]
        for (index, field) in fields.enumerated() where byName[field.name] == nil {
            byName[field.name] = index
        }
        fieldIndexByName = byName
        primaryKeyIndices = primaryKey.compactMap { byName[$0] }
        columns = Self.storageColumns(for: fields.map(\.name))
        columnByName = Dictionary(zip(fields.map(\.name), columns), uniquingKeysWith: { first, _ in first })
    }

    /// The SQLite column of each of `names`: the name itself, unless another name differs from it
    /// only in case — GraphQL names are case-sensitive, SQLite's identifiers are not — in which case
    /// each of them is suffixed with `$` and the positions of its capital letters (`Protocol` →
    /// `Protocol$0`, `protocol` → `protocol$`). `$` is not a GraphQL name character, so the result
    /// never meets another field's column, and it depends only on the set of names, not their order.
    static func storageColumns(for names: [String]) -> [String] {
        var counts: [String: Int] = [:]
        for name in names { counts[name.lowercased(), default: 0] += 1 }
        return names.map { name in
            guard counts[name.lowercased(), default: 0] > 1 else { return name }
            let capitals = name.utf8.enumerated().filter {
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0.element)
            }
            return name + "$" + capitals.map { String($0.offset) }.joined(separator: ",")
        }
    }

    /// The SQLite column of the field called `name` (the name itself unless another field's name
    /// differs only in case).
    func column(_ name: String) -> String {
        columnByName[name] ?? name
    }

    /// The field called `name`, if the model stores one.
    public func field(named name: String) -> ModelField? {
        fieldIndexByName[name].map { fields[$0] }
    }

    /// The position of the field called `name` in ``fields``.
    public func fieldIndex(named name: String) -> Int? {
        fieldIndexByName[name]
    }

    /// The plural the Amplify toolchain uses (`Post` → `Posts`, `Category` → `Categories`,
    /// `Person` → `People`, `BlogSettings` → `BlogSettings`); see ``Pluralization``.
    static func defaultPlural(of name: String) -> String {
        Pluralization.plural(of: name)
    }

    /// Whether `lhs` and `rhs` are the same value.
    public static func == (lhs: ModelSchema, rhs: ModelSchema) -> Bool {
        lhs.name == rhs.name && lhs.pluralName == rhs.pluralName && lhs.fields == rhs.fields
            && lhs.primaryKey == rhs.primaryKey && lhs.indexes == rhs.indexes && lhs.relations == rhs.relations
    }

    /// Feeds what `==` compares to `hasher`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(fields)
        hasher.combine(primaryKey)
        hasher.combine(indexes)
    }
}

/// The `@model(queries:mutations:subscriptions:)` arguments of a model, as the schema gives them
/// (nil when absent: the default operations). They rename operations (`{get: "post"}`) or turn
/// them off (`null`); the wire protocol module turns them into operation names.
public struct ModelOperationArguments: Hashable, Sendable {
    /// The `queries:` argument.
    public let queries: FieldValue?
    /// The `mutations:` argument.
    public let mutations: FieldValue?
    /// The `subscriptions:` argument.
    public let subscriptions: FieldValue?

    /// The arguments as given; none by default.
    public init(queries: FieldValue? = nil, mutations: FieldValue? = nil, subscriptions: FieldValue? = nil) {
        self.queries = queries
        self.mutations = mutations
        self.subscriptions = subscriptions
    }

    /// Whether any argument is given.
    public var isEmpty: Bool { queries == nil && mutations == nil && subscriptions == nil }
}
