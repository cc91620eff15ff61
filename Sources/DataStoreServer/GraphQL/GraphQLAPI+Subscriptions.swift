import DataStore
import DataStoreAppSync
import GraphQL

/// A subscription a real-time client asked for (`start`), checked against the API.
struct SubscriptionRequest: Sendable {
    /// The subscribed model and the kind of write (`onUpdatePost` → Post, update).
    let model: String
    let kind: MutationKind
    /// The root field, as the event's data names it.
    let field: String
    /// The `filter` argument, when given.
    let filter: PredicateEvaluator?
    /// The items whose events the subscriber may receive: the `@auth` rules' reach, narrowed by
    /// owner arguments.
    let access: ItemAccess
    /// Who subscribed: relation fields of events are read as this caller.
    let caller: Caller?
    /// When the subscriber's token expires (ms since 1970): no event is sent after it.
    var expires: Int64? { caller?.expiresAt }
    /// Requests with the same shape receive byte-identical payloads, so each event is rendered
    /// once per shape however many clients subscribed with it.
    let shape: String
    let document: Document
    let variables: [String: Map]
    let operationName: String?
}

/// Why a `start` was refused: the GraphQL errors to report, each with AppSync's error type.
struct SubscriptionRefusal: Error, Sendable {
    let errors: [AppSyncError]

    init(_ errorType: AppSyncErrorType, _ message: String) {
        errors = [AppSyncError(errorType, message)]
    }

    init(_ errorType: AppSyncErrorType, graphQLErrors: [GraphQLError]) {
        errors = GraphQLAPI.appSyncErrors(graphQLErrors).map { error in
            var typed = error
            if typed.errorType == nil { typed.errorType = errorType }
            return typed
        }
    }
}

/// The source value subscription fields resolve from: a probe while a `start` is checked (it
/// records the field's coerced arguments), then each event's item.
enum SubscriptionSource: Sendable {
    case probe(SubscriptionProbe)
    case event(field: String, item: FieldValue)
}

/// Where the resolver of a checked subscription leaves its arguments.
final class SubscriptionProbe: Sendable {
    let arguments = Locked<[String: FieldValue]?>(nil)
}

extension GraphQLAPI {
    /// Resolvers of the `Subscription` type's fields: they return the event's item when the event
    /// is for them.
    func attachSubscriptionResolvers() throws {
        var resolvers: [String: GraphQLFieldResolve] = [:]
        for operations in dataSource.api.operations.values {
            for case let field? in [operations.onCreate, operations.onUpdate, operations.onDelete] {
                resolvers[field] = { source, args, _, _ in
                    switch source as? SubscriptionSource {
                    case .probe(let probe)?:
                        probe.arguments.withLock { $0 = Self.object(args) }
                        return nil
                    case .event(field, let item)?:
                        return Self.output(item)
                    default:
                        return nil
                    }
                }
            }
        }
        try attach(schema.subscriptionType, resolvers)
    }

    /// Checks a `start` request: one subscription field of this API, valid arguments and a filter
    /// that fits the model.
    ///
    /// - Throws: ``SubscriptionRefusal``: `UnsupportedOperation` for queries and mutations,
    ///   `BadRequestException` for invalid documents, variables or filters.
    ///   `Unauthorized` when the rules do not let `caller` listen, or an owner argument names
    ///   someone else.
    func subscription(
        _ request: OperationRequest,
        as caller: Caller?
    ) async throws(SubscriptionRefusal)
        -> SubscriptionRequest
    {
        if let problem = Self.variablesProblem(request.variables, limits) {
            throw SubscriptionRefusal(.badRequest, problem.message)
        }
        let document: Document
        do {
            document = try checkedDocument(request.query).document
        } catch {
            switch error {
            case .graphQL(let errors): throw SubscriptionRefusal(.badRequest, graphQLErrors: errors)
            case .server(let problem): throw SubscriptionRefusal(.badRequest, problem.message)
            }
        }

        let operations = document.definitions.compactMap { $0 as? OperationDefinition }
        let operation: OperationDefinition?
        if let name = request.operationName {
            operation = operations.first { $0.name?.value == name }
        } else {
            operation = operations.count == 1 ? operations.first : nil
        }
        guard let operation else {
            throw SubscriptionRefusal(
                .badRequest,
                request.operationName.map { "The document has no operation named \($0)." }
                    ?? "The document has several operations; name one in operationName."
            )
        }
        guard operation.operation == .subscription else {
            throw SubscriptionRefusal(
                .unsupportedOperation,
                "\(operation.operation.rawValue) operations are not supported through the real-time channel; "
                    + "send them to POST /graphql."
            )
        }
        let fields = operation.selectionSet.selections.compactMap { $0 as? Field }
            .filter { $0.name.value != "__typename" }
        guard fields.count == 1, operation.selectionSet.selections.allSatisfy({ $0 is Field }) else {
            throw SubscriptionRefusal(
                .badRequest,
                "A subscription selects exactly one field of the Subscription type (onCreatePost, …)."
            )
        }
        let fieldName = fields[0].name.value
        guard
            let (model, kind) = dataSource.api.operations.lazy.compactMap({ model, operations in
                switch fieldName {
                case operations.onCreate: (model, MutationKind.created)
                case operations.onUpdate: (model, .updated)
                case operations.onDelete: (model, .deleted)
                default: nil
                }
            }).first
        else {
            throw SubscriptionRefusal(.badRequest, "\(fieldName) is not a subscription of this API.")
        }

        // Executing against a probe coerces the variables and arguments as GraphQL defines.
        let variables = request.variables.mapValues(Self.map)
        let probe = SubscriptionProbe()
        do {
            let result = try await GraphQL.execute(
                schema: schema,
                documentAST: document,
                rootValue: SubscriptionSource.probe(probe),
                context: (),
                variableValues: variables,
                operationName: request.operationName
            )
            if !result.errors.isEmpty {
                throw SubscriptionRefusal(.badRequest, graphQLErrors: result.errors)
            }
        } catch let refusal as SubscriptionRefusal {
            throw refusal
        } catch let error as GraphQLError {
            throw SubscriptionRefusal(.badRequest, graphQLErrors: [error])
        } catch {
            throw SubscriptionRefusal(.badRequest, "The subscription could not be checked: \(error).")
        }
        let arguments = probe.arguments.withLock { $0 } ?? [:]
        let filter: PredicateEvaluator?
        do {
            filter = try dataSource.subscriptionFilter(model, arguments["filter"])
        } catch {
            throw SubscriptionRefusal(.badRequest, error.message)
        }
        let access = try Self.access(
            of: fieldName,
            dataSource: dataSource,
            model: model,
            arguments: arguments,
            caller: caller
        )
        var shape: [String: FieldValue] = ["query": .string(request.query), "variables": .object(request.variables)]
        if let name = request.operationName { shape["operationName"] = .string(name) }
        // Events are filtered and rendered per shape: subscribers with other rights or another
        // identity (relation fields, redacted fields) never share one.
        if let caller {
            shape["caller"] = .object(["provider": .string(caller.provider.rawValue), "claims": .object(caller.claims)])
        }
        return SubscriptionRequest(
            model: model,
            kind: kind,
            field: fieldName,
            filter: filter,
            access: access,
            caller: caller,
            shape: FieldValue.object(shape).jsonText,
            document: document,
            variables: variables,
            operationName: request.operationName
        )
    }

    /// The items a subscription of `field` may receive events of: what the rules let `caller`
    /// listen to, narrowed by the owner arguments given (each must name the caller, unless the
    /// caller may listen to every item, where it is an equality filter). Without owner
    /// arguments, a caller reaching only some items gets the runtime filter of its conditions.
    static func access(
        of field: String,
        dataSource: DataSource,
        model: String,
        arguments: [String: FieldValue],
        caller: Caller?
    ) throws(SubscriptionRefusal) -> ItemAccess {
        let refusal = SubscriptionRefusal(.notAuthorized, "Not Authorized to access \(field) on type Subscription")
        let access: ItemAccess
        do {
            access = try dataSource.access(.listen, on: model, for: caller)
        } catch {
            throw refusal
        }
        var narrowed: [ItemCondition] = []
        for name in dataSource.api.subscriptionOwnerArguments[model] ?? [] {
            // Amplify Swift sends an empty owner when no user is signed in: no argument.
            guard case .string(let value)? = arguments[name], !value.isEmpty else { continue }
            if case .matching(let conditions) = access,
                !conditions.contains(where: { $0.kind == .owner && $0.field == name && $0.values.contains(value) })
            {
                throw refusal
            }
            narrowed.append(ItemCondition(field: name, values: [value], kind: .owner))
        }
        guard !narrowed.isEmpty else { return access }
        // Each owner argument given filters, as AppSync's subscription arguments do.
        return .matchingEvery(narrowed)
    }

    /// The payload of a `data` message: the subscription's selection of `item`, as a GraphQL
    /// result (`{"data": {"onCreatePost": {…}}}`, with `errors` when a selected relation failed).
    func payload(_ subscription: SubscriptionRequest, item: FieldValue) async -> FieldValue {
        do {
            let result = try await GraphQL.execute(
                schema: schema,
                documentAST: subscription.document,
                rootValue: SubscriptionSource.event(
                    field: subscription.field,
                    item: dataSource.redacted(item, of: subscription.model, for: subscription.caller)
                ),
                context: ResolverContext(budget: ItemBudget(limit: limits.maximumItems), caller: subscription.caller),
                variableValues: subscription.variables,
                operationName: subscription.operationName
            )
            return Self.response(data: result.data, errors: result.errors)
        } catch let error as GraphQLError {
            return Self.response(data: nil, errors: [error])
        } catch {
            return Self.failure(AppSyncError(.internalFailure, "The event could not be rendered: \(error)."))
        }
    }
}
