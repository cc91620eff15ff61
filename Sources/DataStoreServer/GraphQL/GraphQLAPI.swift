public import DataStore
public import DataStoreAppSync
import DataStoreSchema
import GraphQL
import OrderedCollections

/// Executes GraphQL requests against the generated AppSync API (PROTOCOL §2): the schema is built
/// at run time from ``AppSyncSchema/sdl`` and its root fields resolve through a ``DataSource``.
///
/// Responses are AppSync's envelopes: `data`, and `errors` whose objects carry `errorType` and
/// `data` as top-level keys.
public final class GraphQLAPI: Sendable {
    /// The data source the resolvers call.
    public let dataSource: DataSource
    /// The bounds on a request's document, checked before GraphQL parses it.
    public let limits: DocumentLimits
    let schema: GraphQLSchema
    /// Queries already parsed and checked.
    let documents: DocumentCache
    /// The root query fields whose resolvers fill a ``ResponseCapture`` (each model's get, list,
    /// sync and key queries); empty when response plans are off.
    let readFields: Set<String>
    /// The root mutation fields whose resolvers fill a ``ResponseCapture``; empty when response
    /// plans are off.
    let writeFields: Set<String>
    /// How many requests a response plan answered, and how many it handed back to the executor.
    let planOutcomes = Locked((answered: 0, handedBack: 0))

    /// Builds the executable schema for `dataSource`'s API.
    ///
    /// - Parameters:
    ///   - dataSource: The data source the resolvers call.
    ///   - limits: The bounds on a request's document (its length, nesting, selections…).
    ///   - documentCacheCapacity: How many distinct query texts to keep parsed and validated, so
    ///     that a client repeating an operation skips both steps (only queries up to 16 KiB are
    ///     kept).
    /// - Throws: `AppSyncError` when the generated schema is not valid GraphQL (a bug: every
    ///   schema the parser accepts should generate a valid API).
    public convenience init(
        dataSource: DataSource,
        limits: DocumentLimits = DocumentLimits(),
        documentCacheCapacity: Int = 512
    ) throws(AppSyncError) {
        try self.init(
            dataSource: dataSource,
            limits: limits,
            documentCacheCapacity: documentCacheCapacity,
            plans: true
        )
    }

    /// Builds the API; `plans: false` sends every request through the executor (tests
    /// compare the two).
    init(dataSource: DataSource, limits: DocumentLimits, documentCacheCapacity: Int, plans: Bool) throws(AppSyncError) {
        self.dataSource = dataSource
        self.limits = limits
        documents = DocumentCache(capacity: documentCacheCapacity)
        readFields =
            plans
            ? Set(
                dataSource.api.operations.values.flatMap { [$0.get, $0.list, $0.sync].compactMap(\.self) }
                    + dataSource.api.keyQueries.values.flatMap { $0.indexQueries.map(\.name) }
            ) : []
        writeFields =
            plans
            ? Set(
                dataSource.api.operations.values.flatMap { names in
                    [MutationKind.created, .updated, .deleted].compactMap { names.mutation($0) }
                }
            ) : []
        do {
            schema = try buildSchema(source: dataSource.api.sdl)
            // GraphQLSwift builds an input object's fields from the schema's syntax tree again
            // each time it coerces a value of that type (every variable and argument, at every
            // level of a nested filter: a twentieth of a mutation's CPU). They never change once
            // built, so each type keeps the fields it built first.
            for case let input as GraphQLInputObjectType in schema.typeMap.values {
                let fields = try input.fields()
                input.fields = { fields }
            }
        } catch {
            throw AppSyncError(.internalFailure, "The generated AppSync schema is not valid GraphQL: \(error).")
        }
        try attachResolvers()
    }

    // MARK: Executing requests

    /// Executes one request: `{"query": …, "variables": {…}, "operationName": …}`.
    ///
    /// Returns the response body and its HTTP status: 200 for anything GraphQL answers (with
    /// `errors` when it failed), 400 when the body is not a GraphQL request.
    ///
    /// - Parameters:
    ///   - body: The request: `{"query": …, "variables": {…}, "operationName": …}`.
    ///   - caller: Who asks: the `@auth` rules decide what it may read and write. Nil runs the
    ///     request as the server itself, to which no rule applies.
    public func execute(_ body: FieldValue, as caller: Caller? = nil) async -> (status: Int, response: FieldValue) {
        let (status, answer) = await answer(body, as: caller)
        return (status, answer.value)
    }

    /// Executes a request as `caller` (nil: the server itself) and returns the response body.
    public func execute(_ request: OperationRequest, as caller: Caller? = nil) async -> FieldValue {
        await answer(request, as: caller).value
    }

    /// A response body: a value, or the JSON text a ``ResponsePlan`` rendered.
    enum Answer {
        case value(FieldValue)
        case rendered(String)

        /// The body as JSON text (what goes on the wire).
        var jsonText: String {
            switch self {
            case .value(let value): value.jsonText
            case .rendered(let text): text
            }
        }

        /// The body as a value.
        var value: FieldValue {
            switch self {
            case .value(let value):
                return value
            case .rendered(let text):
                do {
                    return try FieldValue(jsonText: text)
                } catch {
                    return GraphQLAPI.failure(
                        AppSyncError(.internalFailure, "A rendered response is not valid JSON: \(error).")
                    )
                }
            }
        }
    }

    /// Executes one request body, as the public `execute` does, except that a response plan's answer
    /// stays JSON text, which the HTTP layer sends as it is.
    func answer(_ body: FieldValue, as caller: Caller?) async -> (status: Int, answer: Answer) {
        do {
            return (200, await answer(try OperationRequest(body), as: caller))
        } catch {
            return (400, .value(Self.failure(error)))
        }
    }

    func answer(_ request: OperationRequest, as caller: Caller?) async -> Answer {
        if let problem = Self.variablesProblem(request.variables, limits) { return .value(Self.failure(problem)) }
        let (variables, operationName) = (request.variables.mapValues(Self.map), request.operationName)
        let checked: CheckedDocument
        do {
            checked = try checkedDocument(request.query)
        } catch {
            switch error {
            case .graphQL(let errors): return .value(Self.response(data: nil, errors: errors))
            case .server(let problem): return .value(Self.failure(problem))
            }
        }
        let document = checked.document
        if document.definitions.contains(where: { ($0 as? OperationDefinition)?.operation == .subscription }) {
            return .value(
                Self.failure(
                    .badRequest("Subscriptions are served over the real-time WebSocket endpoint (/graphql/realtime).")
                )
            )
        }
        var written: FieldValue?
        if let plan = checked.plan, plan.answers(operationName: operationName) {
            switch await planned(plan, variables: variables, operationName: operationName, caller: caller) {
            case .rendered(let text): return .rendered(text)
            case .answered(let value): return .value(value)
            case .wrote(let item): written = item
            case .handedBack: break
            }
        }
        return .value(
            await executed(
                document,
                variables: variables,
                operationName: operationName,
                caller: caller,
                written: written
            )
        )
    }

    /// Runs `document` through the GraphQL executor.
    ///
    /// - Parameter written: The item a planned mutation's skeleton wrote, which the mutation's
    ///   resolver returns instead of writing again.
    private func executed(
        _ document: Document,
        variables: [String: Map],
        operationName: String?,
        caller: Caller?,
        written: FieldValue? = nil
    ) async -> FieldValue {
        do {
            let result = try await GraphQL.execute(
                schema: schema,
                documentAST: document,
                rootValue: (),
                context: ResolverContext(
                    budget: ItemBudget(limit: limits.maximumItems),
                    caller: caller,
                    written: written
                ),
                variableValues: variables,
                operationName: operationName
            )
            return Self.response(data: result.data, errors: result.errors)
        } catch let error as GraphQLError {
            return Self.response(data: nil, errors: [error])
        } catch {
            return Self.failure(AppSyncError(.internalFailure, "The request failed: \(error)."))
        }
    }

    /// How a plan's skeleton ended.
    private enum PlanOutcome {
        /// The plan rendered the response.
        case rendered(String)
        /// A mutation's skeleton failed: its response is the full document's.
        case answered(FieldValue)
        /// A mutation wrote `item`, which the plan could not render: the executor renders it.
        case wrote(FieldValue)
        /// The executor runs the full document (a read that failed or did not fit).
        case handedBack
    }

    /// Runs `plan`'s skeleton and renders the response body from the root field's value, or says
    /// how the executor takes over (see ``ResponsePlan``). Reads have no effects, so running the
    /// full document after a read's skeleton changes nothing; a mutation's effect happens once.
    private func planned(
        _ plan: ResponsePlan,
        variables: [String: Map],
        operationName: String?,
        caller: Caller?
    ) async -> PlanOutcome {
        let capture = ResponseCapture()
        let result: GraphQLResult
        do {
            result = try await GraphQL.execute(
                schema: schema,
                documentAST: plan.skeleton,
                rootValue: (),
                context: ResolverContext(
                    budget: ItemBudget(limit: limits.maximumItems),
                    caller: caller,
                    capture: capture
                ),
                variableValues: variables,
                operationName: operationName
            )
        } catch {
            // The executor throws before it resolves anything; the full document meets the same.
            planOutcomes.withLock { $0.handedBack += 1 }
            return .handedBack
        }
        let value = capture.value
        if let value, result.errors.isEmpty, let response = plan.response(for: value) {
            planOutcomes.withLock { $0.answered += 1 }
            return .rendered(response)
        }
        planOutcomes.withLock { $0.handedBack += 1 }
        guard plan.writes else { return .handedBack }
        if !result.errors.isEmpty { return .answered(Self.response(data: result.data, errors: result.errors)) }
        return value.map(PlanOutcome.wrote) ?? .handedBack
    }

    // MARK: Resolvers

    private func attachResolvers() throws(AppSyncError) {
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
