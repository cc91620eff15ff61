import DataStore
import DataStoreAppSync
import DataStoreSchema
import GraphQL
import OrderedCollections

/// The resolvers: each model's root fields, relation fields and subscription fields, each reading
/// and writing through the data source as the request's caller.
extension GraphQLAPI {
    /// Attaches the resolvers of every root field, relation field and subscription field.
    func attachResolvers() throws(AppSyncError) {
        do {
            for (modelName, operations) in dataSource.api.operations {
                try attachModelResolvers(modelName, operations)
            }
            try attachRelationResolvers()
            try attachSubscriptionResolvers()
            StrictScalars.install(on: schema)
        } catch let error as AppSyncError {
            throw error
        } catch {
            throw AppSyncError(.internalFailure, "Could not attach the API's resolvers: \(error).")
        }
    }

    /// Replaces `type`'s fields by the same fields with `resolvers` attached.
    func attach(_ type: GraphQLObjectType?, _ resolvers: [String: GraphQLFieldResolve]) throws {
        guard let type, !resolvers.isEmpty else { return }
        let fields = try type.fields()
        for (name, resolve) in resolvers { fields[name]?.resolve = resolve }
        type.fields = { fields }
    }

    private func attachModelResolvers(_ model: String, _ operations: ModelOperationNames) throws {
        let dataSource = self.dataSource
        var queries: [String: GraphQLFieldResolve] = [:]
        if let get = operations.get {
            queries[get] = { _, args, context, _ in
                let item = try await dataSource.get(
                    model,
                    key: Self.object(args),
                    as: (context as? ResolverContext)?.caller
                )
                if let capture = (context as? ResolverContext)?.capture {
                    capture.keep(item ?? .null)
                    return item == nil ? nil : Self.placeholder
                }
                guard let item else { return nil }
                return Self.output(item)
            }
        }
        if let list = operations.list {
            let key = dataSource.api.keyQueries[model]?.listKey
            queries[list] = { _, args, context, _ in
                let arguments = Self.object(args)
                let caller = (context as? ResolverContext)?.caller
                let page: DataSource.Page
                if let key, let query = try Self.keyQuery(key, arguments, partitionOptional: true) {
                    page = try await dataSource.query(
                        model,
                        query,
                        filter: arguments["filter"],
                        limit: try Self.int(arguments["limit"], "limit"),
                        nextToken: Self.string(arguments["nextToken"]),
                        as: caller
                    )
                } else {
                    page = try await dataSource.list(
                        model,
                        filter: arguments["filter"],
                        limit: try Self.int(arguments["limit"], "limit"),
                        nextToken: Self.string(arguments["nextToken"]),
                        as: caller
                    )
                }
                let context = context as? ResolverContext
                try context?.budget.spend(page.items.count)
                return Self.output(page, capture: context?.capture)
            }
        }
        for indexQuery in dataSource.api.keyQueries[model]?.indexQueries ?? [] {
            let key = indexQuery.key
            queries[indexQuery.name] = { _, args, context, _ in
                let arguments = Self.object(args)
                guard let query = try Self.keyQuery(key, arguments, partitionOptional: false) else { return nil }
                let page = try await dataSource.query(
                    model,
                    query,
                    filter: arguments["filter"],
                    limit: try Self.int(arguments["limit"], "limit"),
                    nextToken: Self.string(arguments["nextToken"]),
                    as: (context as? ResolverContext)?.caller
                )
                let context = context as? ResolverContext
                try context?.budget.spend(page.items.count)
                return Self.output(page, capture: context?.capture)
            }
        }
        queries[operations.sync] = { _, args, context, _ in
            let arguments = Self.object(args)
            let page = try await dataSource.sync(
                model,
                filter: arguments["filter"],
                limit: try Self.int(arguments["limit"], "limit"),
                nextToken: Self.string(arguments["nextToken"]),
                lastSync: try Self.int(arguments["lastSync"], "lastSync").map(Int64.init),
                as: (context as? ResolverContext)?.caller
            )
            let context = context as? ResolverContext
            try context?.budget.spend(page.items.count)
            return Self.output(page, capture: context?.capture)
        }
        try attach(schema.queryType, queries)

        var mutations: [String: GraphQLFieldResolve] = [:]
        for kind in [MutationKind.created, .updated, .deleted] {
            guard let name = operations.mutation(kind) else { continue }
            mutations[name] = { _, args, context, _ in
                let context = context as? ResolverContext
                if let written = context?.written { return Self.output(written) }
                let arguments = Self.object(args)
                guard case .object(let input)? = arguments["input"] else {
                    throw AppSyncError.badRequest("\(name) needs an input object.")
                }
                let item = try await dataSource.write(
                    kind,
                    model,
                    input: input,
                    condition: arguments["condition"],
                    as: context?.caller
                )
                if let capture = context?.capture {
                    capture.keep(item)
                    return Self.placeholder
                }
                return Self.output(item)
            }
        }
        try attach(schema.mutationType, mutations)
    }

    /// Relation fields resolve for clients that select them (`post { comments { items { … } } }`).
    private func attachRelationResolvers() throws {
        let dataSource = self.dataSource
        for definition in dataSource.api.document.models {
            let source = definition.schema
            var resolvers: [String: GraphQLFieldResolve] = [:]
            for relation in source.relations {
                guard let target = dataSource.api.document.model(named: relation.relatedModel)?.schema else { continue }
                let fields = DataSource.relationFields(relation, of: source, to: target)
                resolvers[relation.name] = Self.relationResolver(
                    dataSource: dataSource,
                    target: target.name,
                    localFields: fields.local,
                    targetFields: fields.related,
                    byKey: fields.related == target.primaryKey && relation.kind != .hasMany,
                    isMany: relation.kind == .hasMany,
                    sortKey: DataSource.relationSortKey(relation, target, matching: fields.related)
                )
            }
            try attach(schema.getType(name: source.name) as? GraphQLObjectType, resolvers)
        }
    }

    /// Resolves a relation field from the parent item's key values: a `get` when they are the
    /// related model's key, else a read of the key range whose fields hold them (a page for
    /// to-many relations, ordered as the related model's index orders them; the first item for
    /// to-one).
    private static func relationResolver(
        dataSource: DataSource,
        target: String,
        localFields: [String],
        targetFields: [String],
        byKey: Bool,
        isMany: Bool,
        sortKey: KeyRange.SortKey
    ) -> GraphQLFieldResolve {
        {
            (
                parent: any Sendable,
                args: Map,
                context: any Sendable,
                _: GraphQLResolveInfo
            ) async throws -> (any Sendable)? in
            guard let parent = parent as? [String: any Sendable] else { return nil }
            let caller = (context as? ResolverContext)?.caller
            var key: [String: FieldValue] = [:]
            for (local, remote) in zip(localFields, targetFields) {
                guard let found = parent[local], let value = keyValue(found) else {
                    if isMany { return output(DataSource.Page(items: [], nextToken: nil, startedAt: nil)) }
                    return nil
                }
                key[remote] = value
            }
            if byKey {
                guard let item = try await dataSource.get(target, key: key, as: caller) else { return nil }
                return output(item)
            }
            let arguments = object(args)
            let range = KeyRange(
                equal: key,
                sortKey: sortKey,
                descending: isMany && arguments["sortDirection"] == .string("DESC")
            )
            let page = try await dataSource.list(
                target,
                range: range,
                filter: isMany ? arguments["filter"] : nil,
                limit: isMany ? try int(arguments["limit"], "limit") : 1,
                nextToken: isMany ? string(arguments["nextToken"]) : nil,
                through: isMany ? .list : .get,
                as: caller
            )
            if isMany {
                try (context as? ResolverContext)?.budget.spend(page.items.count)
                return output(page)
            }
            guard let first = page.items.first else { return nil }
            return output(first)
        }
    }

    /// The key query a list or index query's arguments ask for, or nil for a `list` without a
    /// partition key (a plain list), after AppSync's checks of arguments that do not go together.
    private static func keyQuery(
        _ key: AppSyncSchema.KeyArguments,
        _ arguments: [String: FieldValue],
        partitionOptional: Bool
    ) throws(AppSyncError) -> KeyQuery? {
        let sortCondition = key.sortCondition.flatMap { arguments[$0] }.flatMap { $0 == .null ? nil : $0 }
        let direction = arguments["sortDirection"].flatMap { $0 == .null ? nil : $0 }
        if direction != nil, !key.isSorted, key.index == nil {
            throw .invalidArguments("sortDirection is not supported for a list without a sort key in the primary key.")
        }
        guard let partition = arguments[key.partition], partition != .null else {
            if let name = key.sortCondition, sortCondition != nil {
                throw .invalidArguments("When giving the argument \(name), give the argument \(key.partition) too.")
            }
            if direction != nil {
                throw .invalidArguments(
                    "When giving the argument sortDirection, give the argument \(key.partition) too."
                )
            }
            if partitionOptional { return nil }
            throw .invalidArguments("The argument \(key.partition) needs a value.")
        }
        return KeyQuery(
            index: key.index,
            partition: partition,
            sortCondition: sortCondition,
            descending: direction == .string("DESC")
        )
    }
}
