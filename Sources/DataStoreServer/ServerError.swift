public import DataStore

/// An error the server answers with, shaped as AppSync's error objects (PROTOCOL §2, §4.4):
/// `errorType` and `data` are top-level keys of the GraphQL error, as both Amplify clients read them.
public struct ServerError: Error, Sendable, CustomStringConvertible {
    /// AppSync's error types, as clients recognize them.
    public struct ErrorType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A version conflict the model's strategy did not resolve.
        public static let conflictUnhandled = ErrorType(rawValue: "ConflictUnhandled")
        /// A false `condition`, a create on an existing key, an update or delete of a missing one.
        public static let conditionalCheckFailed = ErrorType(rawValue: "ConditionalCheckFailedException")
        /// Missing or wrong credentials.
        public static let unauthorized = ErrorType(rawValue: "UnauthorizedException")
        /// Input that is not valid for the operation (values, filters, tokens).
        public static let badRequest = ErrorType(rawValue: "BadRequestException")
        /// Arguments of a key query that do not go together (AppSync's resolvers' error type).
        public static let invalidArguments = ErrorType(rawValue: "InvalidArgumentsError")
        /// A request that ran longer than the server's time budget and was cancelled.
        public static let executionTimeout = ErrorType(rawValue: "ExecutionTimeout")
        /// A failure of the server's storage.
        public static let internalFailure = ErrorType(rawValue: "InternalFailureException")
    }

    /// The AppSync error type.
    public let errorType: ErrorType
    /// What went wrong, and where.
    public let message: String
    /// The item to report with the error (the server's copy, for `ConflictUnhandled`).
    public let data: FieldValue?
    /// Details for programs, reported as the error's `errorInfo` (AppSync's member for them): for
    /// a document over a limit, `{"limit": …, "allowed": …, "found": …}`.
    public let errorInfo: FieldValue?

    public init(_ errorType: ErrorType, _ message: String, data: FieldValue? = nil, errorInfo: FieldValue? = nil) {
        self.errorType = errorType
        self.message = message
        self.data = data
        self.errorInfo = errorInfo
    }

    public var description: String { "\(errorType): \(message)" }

    static func badRequest(_ message: String) -> ServerError { ServerError(.badRequest, message) }

    static func invalidArguments(_ message: String) -> ServerError { ServerError(.invalidArguments, message) }

    static func storage(_ error: any Error, _ doing: String) -> ServerError {
        storage("\(error)", doing)
    }

    static func storage(_ reason: String, _ doing: String) -> ServerError {
        ServerError(.internalFailure, "The server's database failed while \(doing): \(reason).")
    }

    /// The message AppSync (DynamoDB) gives for a failed conditional write.
    static func conditionalCheckFailed(_ reason: String) -> ServerError {
        ServerError(.conditionalCheckFailed, "The conditional request failed: \(reason).")
    }
}
