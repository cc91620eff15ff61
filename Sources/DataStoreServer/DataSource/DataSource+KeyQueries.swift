public import DataStore
public import DataStoreAppSync
import DataStoreSchema

/// A read by key, as AppSync runs a DynamoDB Query: `listX` with key arguments on a model whose
/// primary key `@primaryKey` declares, or an index's query field (`@index(queryField:)`).
public struct KeyQuery: Sendable {
    /// The index read, by name; nil for the primary key.
    public var index: String?
    /// The partition key's value.
    public var partition: FieldValue
    /// The sort key argument as the API receives it: one operator of `eq`, `le`, `lt`, `ge`,
    /// `gt`, `between` and `beginsWith`, whose operands are values of the sort key field, or,
    /// for a sort key of several fields, objects of those fields (`{eq: {city: "Oslo"}}`).
    public var sortCondition: FieldValue?
    /// Whether the largest sort key value comes first (`sortDirection: DESC`).
    public var descending: Bool

    /// A query of the primary key (`index` nil) or of the named index: the partition key value, an optional
    /// condition on the sort key, and the order.
    public init(index: String? = nil, partition: FieldValue, sortCondition: FieldValue? = nil, descending: Bool = false)
    {
        self.index = index
        self.partition = partition
        self.sortCondition = sortCondition
        self.descending = descending
    }
}

extension DataSource {
    /// The fields of a key: the primary key (`index` nil) or the named index's.
    func keyFields(_ model: ServerModel, index: String?) throws(AppSyncError) -> [String] {
        guard let index else { return model.schema.primaryKey }
        guard let found = model.schema.indexes.first(where: { $0.name == index }) else {
            throw .badRequest("\(model.name) has no index named \(index).")
        }
        return found.fields
    }

    /// `listX` with key arguments, or an index's query: a page of the items whose partition key
    /// has the given value and whose sort key meets the condition, in sort key order; `filter`
    /// applies after `limit` items are read, as for every list.
    ///
    /// - Throws: `InvalidArgumentsError` for a sort key condition with several operators, a
    ///   `between` without exactly two values, or a composite operand that skips a field;
    ///   `BadRequestException` for values that do not fit the key's fields.
    public func query(
        _ modelName: String,
        _ query: KeyQuery,
        filter: FieldValue? = nil,
        limit: Int? = nil,
        nextToken: String? = nil,
        as caller: Caller? = nil
    ) async throws(AppSyncError) -> Page {
        let model = try model(modelName)
        let fields = try keyFields(model, index: query.index)
        let partitionField = try keyField(fields[0], of: model)
        let partition = try model.normalize(query.partition, for: partitionField)
        if partition == .null {
            throw .invalidArguments("The partition key \(partitionField.name) of \(modelName) needs a value.")
        }
        let sortFields = try fields.dropFirst().map { (name: String) throws(AppSyncError) in
            try keyField(name, of: model)
        }
        let sortKey = Self.sortKey(sortFields)
        let condition = try sortKeyCondition(query.sortCondition, fields: sortFields, of: model)
        let range = KeyRange(
            equal: [partitionField.name: partition],
            sortKey: sortKey,
            condition: condition,
            descending: query.descending
        )
        return try await list(
            modelName,
            range: range,
            filter: filter,
            limit: limit,
            nextToken: nextToken,
            through: .list,
            as: caller
        )
    }

    /// A page of the items in `range`, filtered: how key queries and relation fields read.
    /// `operation` is what the rules check (`list`, or `get` for a relation to one item).
    public func list(
        _ modelName: String,
        range: KeyRange,
        filter: FieldValue? = nil,
        limit: Int? = nil,
        nextToken: String? = nil,
        through operation: ModelOperation = .list,
        as caller: Caller? = nil
    ) async throws(AppSyncError) -> Page {
        let model = try model(modelName)
        let access = try access(operation, model, caller)
        let limit = try Self.checkedLimit(limit)
        let predicate = try model.predicate(filter, "filter")
        // The token continues only this read: same range, same filter.
        let digest = Self.digest(.list([filter ?? .null, .string(range.description)]))
        var after: RangePosition?
        if let nextToken {
            let token = try continuation(nextToken, of: modelName, filterDigest: digest, from: [.range])
            guard case .list(let parts)? = try? FieldValue(jsonText: token.after), parts.count == 2,
                case .string(let key) = parts[1]
            else { throw .badRequest("The nextToken is damaged. Start again without nextToken.") }
            after = RangePosition(sortValue: parts[0], key: key)
        }
        let page = try await store.items(model.name, in: range, after: after, limit: limit)
        var items: [FieldValue] = []
        for (_, item) in page where predicate?.matches(model.filterValues(item)) ?? true {
            guard access.permits(item.fields) else { continue }
            items.append(output(item, of: model, operation, for: caller))
        }
        let next = page.count == limit ? page.last?.position : nil
        let secret = try tokenSecret
        let nextToken = next.map { position in
            PageToken(
                model: model.name,
                source: .range,
                after: FieldValue.list([position.sortValue, .string(position.key)]).jsonText,
                startedAt: 0,
                lastSync: nil,
                filterDigest: digest
            ).encode(secret: secret)
        }
        return Page(items: items, nextToken: nextToken, startedAt: nil)
    }

    /// What orders a key's items: its fields after the fixed ones — one field by its value, several
    /// as their joined text.
    static func sortKey(_ fields: [ModelField]) -> KeyRange.SortKey {
        switch fields.count {
        case 0: .none
        case 1: .field(fields[0].name, numeric: fields[0].type.isNumber)
        default: .composite(fields.map(\.name))
        }
    }

    /// The fields a relation matches, pairwise: the source model's and the related model's.
    static func relationFields(
        _ relation: ModelRelation,
        of source: ModelSchema,
        to target: ModelSchema
    ) -> (local: [String], related: [String]) {
        let local = relation.localFields.isEmpty ? source.primaryKey : relation.localFields
        let related = relation.relatedFields.isEmpty ? target.primaryKey : relation.relatedFields
        return (local, Array(related.prefix(local.count)))
    }

    /// What orders a relation's related items: the rest of the index the relation names, or else
    /// of the first key or index whose first fields are the ones the relation matches (DynamoDB's
    /// order for a Query on it); the stored key when there is none.
    static func relationSortKey(
        _ relation: ModelRelation,
        _ target: ModelSchema,
        matching fields: [String]
    ) -> KeyRange.SortKey {
        let named = relation.index.flatMap { name in target.indexes.first { $0.name == name }?.fields }
        let keys = (named.map { [$0] } ?? []) + [target.primaryKey] + target.indexes.map(\.fields)
        guard let key = keys.first(where: { $0.count > fields.count && Array($0.prefix(fields.count)) == fields })
        else {
            return .none
        }
        return sortKey(key.dropFirst(fields.count).compactMap { target.field(named: $0) })
    }

    /// The indexes the API's key reads use: each model's primary key (`listX` with key
    /// arguments), its index queries, and the ranges its relation fields read.
    var keyIndexes: [KeyIndex] {
        var indexes: [KeyIndex] = []
        for definition in api.document.models {
            let schema = definition.schema
            guard let operations = api.keyQueries[schema.name] else { continue }
            var keys: [[String]] = []
            if operations.listKey != nil { keys.append(schema.primaryKey) }
            keys += operations.indexQueries.compactMap { query in
                schema.indexes.first { $0.name == query.key.index }?.fields
            }
            for key in keys where !key.isEmpty {
                indexes.append(
                    KeyIndex(
                        model: schema.name,
                        equal: [key[0]],
                        sortKey: Self.sortKey(key.dropFirst().compactMap { schema.field(named: $0) })
                    )
                )
            }
            for relation in schema.relations {
                guard let target = api.document.model(named: relation.relatedModel)?.schema else { continue }
                let fields = Self.relationFields(relation, of: schema, to: target)
                // Reads by the related model's whole primary key are gets.
                if fields.related == target.primaryKey && relation.kind != .hasMany { continue }
                indexes.append(
                    KeyIndex(
                        model: target.name,
                        equal: fields.related,
                        sortKey: Self.relationSortKey(relation, target, matching: fields.related)
                    )
                )
            }
        }
        var seen: Set<KeyIndex> = []
        return indexes.filter { seen.insert($0).inserted }
    }

    /// Creates the indexes of `keyIndexes` that the store lacks. The server does this before it
    /// listens; key reads are correct without them, only slower.
    public func prepareIndexes() async throws(AppSyncError) {
        try await store.prepare(keyIndexes)
    }

    private func keyField(_ name: String, of model: ServerModel) throws(AppSyncError) -> ModelField {
        guard let field = model.schema.field(named: name) else {
            throw AppSyncError(.internalFailure, "The key field \(model.name).\(name) is not a field of the model.")
        }
        return field
    }

    /// The sort key argument as a condition on the range's sort value.
    private func sortKeyCondition(
        _ argument: FieldValue?,
        fields: [ModelField],
        of model: ServerModel
    ) throws(AppSyncError) -> KeyRange.Condition? {
        guard let argument, argument != .null else { return nil }
        guard case .object(let members) = argument else {
            throw .invalidArguments("The sort key condition of \(model.name) must be an object such as {eq: …}.")
        }
        guard !fields.isEmpty else {
            throw .invalidArguments("\(model.name)'s key has no sort key, so it takes no sort key condition.")
        }
        let given = members.filter { $0.value != .null }.sorted { $0.key < $1.key }
        guard given.count <= 1 else {
            throw .invalidArguments(
                "The sort key condition of \(model.name) has \(given.count) operators (\(given.map(\.key).joined(separator: ", "))); "
                    + "a key condition takes one of eq, le, lt, ge, gt, between and beginsWith."
            )
        }
        guard let (name, operand) = given.first else { return nil }
        func value(_ operand: FieldValue) throws(AppSyncError) -> FieldValue {
            try sortValue(operand, fields: fields, of: model)
        }
        switch name {
        case "eq": return .equal(try value(operand))
        case "lt": return .less(try value(operand))
        case "le": return .lessOrEqual(try value(operand))
        case "gt": return .greater(try value(operand))
        case "ge": return .greaterOrEqual(try value(operand))
        case "between":
            guard case .list(let bounds) = operand, bounds.count == 2 else {
                throw .invalidArguments("between in the sort key condition of \(model.name) takes exactly two values.")
            }
            return .between(try value(bounds[0]), try value(bounds[1]))
        case "beginsWith":
            guard case .string(let prefix) = try value(operand) else {
                throw .invalidArguments(
                    "beginsWith in the sort key condition of \(model.name) needs text; \(fields[0].name) is a number."
                )
            }
            return .beginsWith(prefix)
        default:
            throw .invalidArguments(
                "\(name) is not a key condition operator; use one of eq, le, lt, ge, gt, between and beginsWith."
            )
        }
    }

    /// An operand in the sort value's form: the field's stored value for a one-field sort key, or
    /// the given fields' text joined with `#` for a composite one.
    private func sortValue(
        _ operand: FieldValue,
        fields: [ModelField],
        of model: ServerModel
    ) throws(AppSyncError)
        -> FieldValue
    {
        if fields.count == 1 {
            let value = try model.normalize(operand, for: fields[0])
            guard value != .null else {
                throw .invalidArguments("A sort key condition of \(model.name) compares with null.")
            }
            return value
        }
        guard case .object(let members) = operand else {
            throw .invalidArguments(
                "A sort key condition of \(model.name) compares with an object of \(fields.map(\.name).joined(separator: ", "))."
            )
        }
        var parts: [String] = []
        var missing: String?
        for field in fields {
            let value = try model.normalize(members[field.name] ?? .null, for: field.optional)
            guard value != .null else {
                missing = missing ?? field.name
                continue
            }
            if let missing {
                throw .invalidArguments(
                    "The sort key condition of \(model.name) gives \(field.name) but not \(missing); "
                        + "give the key's fields in order, leaving out only trailing ones."
                )
            }
            parts.append(Self.compositePart(value))
        }
        guard !parts.isEmpty else {
            throw .invalidArguments("A sort key condition of \(model.name) gives none of its key's fields.")
        }
        return .string(parts.joined(separator: "#"))
    }

    /// A value as it reads in a composite sort key.
    private static func compositePart(_ value: FieldValue) -> String {
        if case .string(let text) = value { return text }
        return value.jsonText
    }
}

extension KeyRange: CustomStringConvertible {
    /// The range as canonical JSON (page tokens carry a digest of it).
    public var description: String {
        var object: [String: FieldValue] = [
            "equal": .object(equal), "descending": .bool(descending),
        ]
        switch sortKey {
        case .none: break
        case .field(let name, let numeric): object["sort"] = .list([.string(name), .bool(numeric)])
        case .composite(let names): object["sort"] = .list(names.map(FieldValue.string))
        }
        if let condition {
            object["condition"] =
                switch condition {
                case .equal(let value): .list([.string("eq"), value])
                case .less(let value): .list([.string("lt"), value])
                case .lessOrEqual(let value): .list([.string("le"), value])
                case .greater(let value): .list([.string("gt"), value])
                case .greaterOrEqual(let value): .list([.string("ge"), value])
                case .between(let low, let high): .list([.string("between"), low, high])
                case .beginsWith(let prefix): .list([.string("beginsWith"), .string(prefix)])
                }
        }
        return FieldValue.object(object).jsonText
    }
}

extension FieldType {
    /// Whether values are numbers (DynamoDB's `N`): they sort by value.
    var isNumber: Bool {
        switch self {
        case .int, .float, .timestamp: true
        default: false
        }
    }
}

extension ModelField {
    /// The same field, not required (for operands that may leave it out).
    var optional: ModelField { .optional(name, type) }
}
