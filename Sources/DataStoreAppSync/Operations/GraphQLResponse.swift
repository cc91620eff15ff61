public import DataStore

/// A GraphQL response, `{"data": …, "errors": […]}`, as AppSync and this package's server send
/// it over HTTP and in real-time `data` frames.
public struct GraphQLResponse: Hashable, Sendable {
    /// The `data` object; nil when the response has none (or `null`).
    public let data: [String: FieldValue]?
    /// The errors, in order.
    public let errors: [AppSyncError]

    /// A response with `data` and `errors`.
    public init(data: [String: FieldValue]?, errors: [AppSyncError] = []) {
        self.data = data
        self.errors = errors
    }

    /// Reads a response object.
    ///
    /// - Throws: ``AppSyncDecodingError`` when it is not an object, or `data` or `errors` have
    ///   the wrong type.
    public init(decoding value: FieldValue) throws(AppSyncDecodingError) {
        guard case .object(let members) = value else {
            throw AppSyncDecodingError("A GraphQL response must be a JSON object.", at: "")
        }
        var data: [String: FieldValue]?
        switch members["data"] {
        case nil, .null?: break
        case .object(let object)?: data = object
        default: throw AppSyncDecodingError("\"data\" must be an object or null.", at: "data")
        }
        var errors: [AppSyncError] = []
        switch members["errors"] {
        case nil, .null?: break
        case .list(let objects)?:
            for object in objects { errors.append(try AppSyncError(decoding: object)) }
        default: throw AppSyncDecodingError("\"errors\" must be a list.", at: "errors")
        }
        guard data != nil || !errors.isEmpty else {
            throw AppSyncDecodingError("A GraphQL response needs \"data\" or \"errors\".", at: "")
        }
        self.init(data: data, errors: errors)
    }

    /// Reads a response from JSON text.
    public init(jsonText: String) throws(AppSyncDecodingError) {
        let value: FieldValue
        do {
            value = try FieldValue(jsonText: jsonText)
        } catch {
            throw AppSyncDecodingError("The response is not JSON: \(error).", at: "")
        }
        try self.init(decoding: value)
    }

    /// The response object.
    public var jsonValue: FieldValue {
        var object: [String: FieldValue] = ["data": data.map(FieldValue.object) ?? .null]
        if !errors.isEmpty { object["errors"] = .list(errors.map(\.jsonValue)) }
        return .object(object)
    }

    /// The value of root field `field`.
    ///
    /// - Throws: ``AppSyncResponseError/service(_:)`` with the response's errors when the field
    ///   is null or missing and the response reports errors (a refused write, a conflict);
    ///   ``AppSyncResponseError/malformed(_:)`` when it is missing without an error.
    public func value(of field: String) throws(AppSyncResponseError) -> FieldValue {
        if let value = data?[field], value != .null { return value }
        if !errors.isEmpty { throw .service(errors) }
        if data?[field] == .null { return .null }
        throw .malformed(AppSyncDecodingError("The response has no field \(field).", at: "data.\(field)"))
    }
}

/// Why a response did not give the value asked for.
public enum AppSyncResponseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The backend answered with errors (AppSync error objects, in order).
    case service([AppSyncError])
    /// The response does not have the protocol's shape.
    case malformed(AppSyncDecodingError)

    /// The value as text, for messages and logs.
    public var description: String {
        switch self {
        case .service(let errors): errors.map(\.description).joined(separator: "; ")
        case .malformed(let error): error.description
        }
    }
}

/// A model's item as the backend holds it: its stored values and sync metadata.
public struct RemoteItem: Hashable, Sendable {
    /// The model's name (`__typename`).
    public let model: String
    /// The stored values, in `ModelSchema.fields` order, in the form the local store keeps.
    public let values: [FieldValue]
    /// `_version`.
    public let version: Int
    /// `_deleted`: whether this is a tombstone.
    public let isDeleted: Bool
    /// `_lastChangedAt`, in milliseconds since 1970.
    public let lastChangedAt: Int64

    /// An item of `model` with its stored values and sync metadata.
    public init(model: String, values: [FieldValue], version: Int, isDeleted: Bool, lastChangedAt: Int64) {
        self.model = model
        self.values = values
        self.version = version
        self.isDeleted = isDeleted
        self.lastChangedAt = lastChangedAt
    }

    /// Reads an item a document of ``ModelDocuments`` selected.
    ///
    /// Values are converted to their stored form and checked as a save checks them; a
    /// tombstone (`_deleted: true`) needs only its key, since backends may drop the rest.
    ///
    /// - Parameters:
    ///   - value: the item object.
    ///   - schema: the item's model.
    ///   - path: where the item is in the response, for errors.
    /// - Throws: ``AppSyncDecodingError`` naming the field and what is wrong with it.
    public init(decoding value: FieldValue, schema: ModelSchema, path: String) throws(AppSyncDecodingError) {
        guard case .object(let members) = value else {
            throw AppSyncDecodingError("An item of \(schema.name) must be an object.", at: path)
        }
        guard case .int(let version)? = members["_version"] else {
            throw AppSyncDecodingError("The item has no _version (an integer).", at: "\(path)._version")
        }
        guard case .int(let lastChangedAt)? = members["_lastChangedAt"] else {
            throw AppSyncDecodingError("The item has no _lastChangedAt (an integer).", at: "\(path)._lastChangedAt")
        }
        let isDeleted: Bool
        switch members["_deleted"] {
        case nil, .null?: isDeleted = false
        case .bool(let deleted)?: isDeleted = deleted
        default: throw AppSyncDecodingError("_deleted must be a Boolean or null.", at: "\(path)._deleted")
        }
        var values: [FieldValue] = []
        values.reserveCapacity(schema.fields.count)
        for field in schema.fields {
            let stored = field.type.storedForm(of: members[field.name] ?? .null)
            let required = field.isRequired && (!isDeleted || schema.primaryKey.contains(field.name))
            if let problem = field.type.problem(with: stored, isRequired: required) {
                throw AppSyncDecodingError("\(schema.name).\(field.name): \(problem).", at: "\(path).\(field.name)")
            }
            values.append(stored)
        }
        self.init(
            model: schema.name,
            values: values,
            version: version,
            isDeleted: isDeleted,
            lastChangedAt: Int64(lastChangedAt)
        )
    }

    /// The item as the API returns it: fields by name, metadata and `__typename`.
    public func jsonValue(schema: ModelSchema) -> FieldValue {
        var object: [String: FieldValue] = [:]
        for (field, value) in zip(schema.fields, values) { object[field.name] = value }
        object["_version"] = .int(version)
        object["_deleted"] = isDeleted ? .bool(true) : .null
        object["_lastChangedAt"] = .int(Int(lastChangedAt))
        object["__typename"] = .string(model)
        return .object(object)
    }
}

/// One page of a sync query's answer (`Model<Name>Connection`).
public struct SyncPage: Hashable, Sendable {
    /// The items, in the order the backend gave them.
    public let items: [RemoteItem]
    /// Where the next page starts; nil on the last page.
    public let nextToken: String?
    /// When the sync started, in milliseconds since 1970: the client's next `lastSync`.
    public let startedAt: Int64?

    /// A page of `items`, continued at `nextToken`.
    public init(items: [RemoteItem], nextToken: String?, startedAt: Int64?) {
        self.items = items
        self.nextToken = nextToken
        self.startedAt = startedAt
    }

    /// Reads the sync query's answer from a response to ``ModelDocuments/syncRequest(limit:nextToken:lastSync:filter:)``.
    ///
    /// - Throws: ``AppSyncResponseError``: the backend's errors, or what is malformed (with its path).
    public init(response: GraphQLResponse, documents: ModelDocuments) throws(AppSyncResponseError) {
        let field = documents.names.sync
        let connection = try response.value(of: field)
        do {
            try self.init(decoding: connection, schema: documents.schema, path: "data.\(field)")
        } catch {
            throw .malformed(error)
        }
    }

    /// Reads a connection object: `items`, `nextToken`, `startedAt`.
    public init(decoding value: FieldValue, schema: ModelSchema, path: String) throws(AppSyncDecodingError) {
        guard case .object(let members) = value, case .list(let objects)? = members["items"] else {
            throw AppSyncDecodingError("A sync page must be an object with an \"items\" list.", at: path)
        }
        var items: [RemoteItem] = []
        items.reserveCapacity(objects.count)
        for (index, object) in objects.enumerated() {
            items.append(try RemoteItem(decoding: object, schema: schema, path: "\(path).items[\(index)]"))
        }
        var nextToken: String?
        switch members["nextToken"] {
        case nil, .null?: break
        case .string(let token)?: nextToken = token
        default: throw AppSyncDecodingError("nextToken must be a string or null.", at: "\(path).nextToken")
        }
        var startedAt: Int64?
        switch members["startedAt"] {
        case nil, .null?: break
        case .int(let time)?: startedAt = Int64(time)
        default: throw AppSyncDecodingError("startedAt must be an integer or null.", at: "\(path).startedAt")
        }
        self.init(items: items, nextToken: nextToken, startedAt: startedAt)
    }

    /// The connection object.
    public func jsonValue(schema: ModelSchema) -> FieldValue {
        [
            "items": .list(items.map { $0.jsonValue(schema: schema) }),
            "nextToken": nextToken.map(FieldValue.string) ?? .null,
            "startedAt": startedAt.map { .int(Int($0)) } ?? .null,
        ]
    }
}

extension ModelDocuments {
    /// Reads the answer to a mutation of this model: the item the backend stored.
    ///
    /// - Throws: ``AppSyncResponseError``: the backend's errors (a failed condition, a conflict
    ///   with the server's copy in the error's `data`), or what is malformed.
    public func mutationResult(
        _ kind: MutationKind,
        _ response: GraphQLResponse
    ) throws(AppSyncResponseError)
        -> RemoteItem
    {
        try item(of: names.mutation(kind), "\(kind.rawValue) mutation", response)
    }

    /// Reads the answer to ``getRequest(key:)``: the item, a tombstone included, or nil when the
    /// backend has none.
    public func getResult(_ response: GraphQLResponse) throws(AppSyncResponseError) -> RemoteItem? {
        guard let field = names.get else {
            throw .malformed(AppSyncDecodingError("\(schema.name) has no get query.", at: "data"))
        }
        let value = try response.value(of: field)
        if value == .null { return nil }
        do {
            return try RemoteItem(decoding: value, schema: schema, path: "data.\(field)")
        } catch {
            throw .malformed(error)
        }
    }

    /// Reads a subscription event's payload (a `data` frame's payload) of this model.
    public func subscriptionEvent(
        _ kind: MutationKind,
        _ payload: GraphQLResponse
    ) throws(AppSyncResponseError)
        -> RemoteItem
    {
        try item(of: names.subscription(kind), "\(kind.rawValue) subscription", payload)
    }

    /// The item under root field `field`; `operation` names it when the model turned it off.
    private func item(
        of field: String?,
        _ operation: String,
        _ response: GraphQLResponse
    ) throws(AppSyncResponseError) -> RemoteItem {
        guard let field else {
            throw .malformed(AppSyncDecodingError("\(schema.name) has no \(operation).", at: "data"))
        }
        let value = try response.value(of: field)
        do {
            return try RemoteItem(decoding: value, schema: schema, path: "data.\(field)")
        } catch {
            throw .malformed(error)
        }
    }
}
