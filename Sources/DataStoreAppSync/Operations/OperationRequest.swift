public import DataStore

/// A GraphQL request, `{"query": …, "variables": {…}, "operationName": …}`: the body of
/// `POST /graphql`, and the `data` of a real-time `start` message.
public struct OperationRequest: Hashable, Sendable {
    /// The GraphQL document.
    public let query: String
    /// The values of the document's variables, by name.
    public let variables: [String: FieldValue]
    /// Which of the document's operations to run, when it has several.
    public let operationName: String?

    /// A request to run `query` with `variables`.
    public init(query: String, variables: [String: FieldValue] = [:], operationName: String? = nil) {
        self.query = query
        self.variables = variables
        self.operationName = operationName
    }

    /// Reads a request object.
    ///
    /// - Throws: ``AppSyncError`` (`BadRequestException`) saying which member is wrong.
    public init(_ value: FieldValue) throws(AppSyncError) {
        guard case .object(let members) = value, case .string(let query)? = members["query"] else {
            throw AppSyncError(.badRequest, "A GraphQL request must be a JSON object with a \"query\" string.")
        }
        var variables: [String: FieldValue] = [:]
        switch members["variables"] {
        case nil, .null?: break
        case .object(let values)?: variables = values
        default: throw AppSyncError(.badRequest, "A request's \"variables\" must be a JSON object.")
        }
        var operationName: String?
        switch members["operationName"] {
        case nil, .null?: break
        case .string(let name)?: operationName = name
        default: throw AppSyncError(.badRequest, "A request's \"operationName\" must be a string.")
        }
        self.init(query: query, variables: variables, operationName: operationName)
    }

    /// The request object: `variables` always (AppSync wants the member), `operationName` when
    /// set.
    public var jsonValue: FieldValue {
        var object: [String: FieldValue] = ["query": .string(query), "variables": .object(variables)]
        if let operationName { object["operationName"] = .string(operationName) }
        return .object(object)
    }
}
