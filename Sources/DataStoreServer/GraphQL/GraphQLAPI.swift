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
}
