public import DataStore

/// The names of the root fields the transformer generates for one model (PROTOCOL §1): what a
/// client calls and what a server answers to.
///
/// The defaults come from the model's name and plural (`getPost`, `listPosts`, `syncPosts`,
/// `createPost`…, `onCreatePost`…); a model's `@model(queries:mutations:subscriptions:)`
/// arguments rename or turn off each of them.
public struct ModelOperationNames: Hashable, Sendable {
    /// `getPost`, or nil when the model's `@model(queries:)` turns it off.
    public let get: String?
    /// `listPosts`, or nil when turned off.
    public let list: String?
    /// `syncPosts`: always present, since DataStore clients need it.
    public let sync: String
    /// `createPost`, `updatePost`, `deletePost`, or nil when turned off.
    public let create: String?
    /// `updatePost`, or nil when turned off.
    public let update: String?
    /// `deletePost`, or nil when turned off.
    public let delete: String?
    /// `onCreatePost`, `onUpdatePost`, `onDeletePost`, or nil when turned off (also when their
    /// mutation is).
    public let onCreate: String?
    /// `onUpdatePost`, or nil when turned off.
    public let onUpdate: String?
    /// `onDeletePost`, or nil when turned off.
    public let onDelete: String?

    /// The names for `schema` under its `@model` arguments, each as the schema gives it (nil when
    /// the argument is absent).
    ///
    /// The transformer merges an argument into its defaults: a name it gives replaces the
    /// default, `null` for an operation (or for the whole argument) turns it off, and an
    /// operation it leaves out keeps its default. `subscriptions: {level: off}` turns all three
    /// subscriptions off.
    public init(
        schema: ModelSchema,
        queries: FieldValue? = nil,
        mutations: FieldValue? = nil,
        subscriptions: FieldValue? = nil
    ) {
        let name = schema.name
        get = Self.name(queries, "get", "get\(name)")
        list = Self.name(queries, "list", "list\(schema.pluralName)")
        sync = Self.name(queries, "sync", "sync\(schema.pluralName)") ?? "sync\(schema.pluralName)"
        create = Self.name(mutations, "create", "create\(name)")
        update = Self.name(mutations, "update", "update\(name)")
        delete = Self.name(mutations, "delete", "delete\(name)")
        let subscribed: Bool =
            switch subscriptions {
            case nil: true
            case .null?: false
            case .object(let values)?: values["level"] != .string("off")
            default: true
            }
        /// A subscription's name: the first the argument gives (a name or a list of names).
        func subscriptionName(_ kind: String, of mutation: String?) -> String? {
            guard subscribed, mutation != nil else { return nil }
            let defaultName = "\(kind)\(name)"
            guard case .object(let values)? = subscriptions, let given = values[kind] else { return defaultName }
            switch given {
            case .string(let custom) where GraphQLName.isValid(custom): return custom
            case .list(let names):
                if case .string(let custom)? = names.first, GraphQLName.isValid(custom) { return custom }
                return nil
            default: return nil
            }
        }
        onCreate = subscriptionName("onCreate", of: create)
        onUpdate = subscriptionName("onUpdate", of: update)
        onDelete = subscriptionName("onDelete", of: delete)
    }

    /// The name of `operation` under the `@model` argument `option`: the argument's name for it
    /// when it gives one, nil when it turns it off, `defaultName` when it leaves it out.
    private static func name(_ option: FieldValue?, _ operation: String, _ defaultName: String) -> String? {
        switch option {
        case nil: defaultName
        case .object(let values)?:
            switch values[operation] {
            case nil: defaultName
            case .string(let name)? where GraphQLName.isValid(name): name
            default: nil
            }
        default: nil
        }
    }

    /// The mutation of a kind of write.
    public func mutation(_ kind: MutationKind) -> String? {
        switch kind {
        case .created: create
        case .updated: update
        case .deleted: delete
        }
    }

    /// The subscription to a kind of write.
    public func subscription(_ kind: MutationKind) -> String? {
        switch kind {
        case .created: onCreate
        case .updated: onUpdate
        case .deleted: onDelete
        }
    }
}
