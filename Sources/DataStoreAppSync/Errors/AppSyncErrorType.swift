/// The `errorType` of an AppSync error object: the names both Amplify clients and this
/// package's server recognize, and any other name a backend sends.
public enum AppSyncErrorType: Hashable, Sendable, CustomStringConvertible {
    /// `ConflictUnhandled`: a version conflict the model's strategy did not resolve; the error's
    /// `data` is the server's copy.
    case conflictUnhandled
    /// `ConditionalCheckFailedException`: a false `condition`, a create on an existing key, an
    /// update or delete of a missing one. Also read from AppSync's
    /// `DynamoDB:ConditionalCheckFailedException`.
    case conditionalCheckFailed
    /// `UnauthorizedException`: missing, expired or wrong credentials (HTTP 401, a refused
    /// connection). New credentials may succeed.
    case unauthorized
    /// `Unauthorized`: valid credentials, but the schema's `@auth` rules do not let this caller do
    /// this (`Not Authorized to access getPost on type Query`). New credentials of the same user
    /// will not change the answer.
    case notAuthorized
    /// `BadRequestException`: input that is not valid for the operation (values, filters, tokens,
    /// documents over a limit, malformed real-time messages).
    case badRequest
    /// `InvalidArgumentsError`: arguments of a key query that do not go together.
    case invalidArguments
    /// `ExecutionTimeout`: a request that ran longer than the server's time budget.
    case executionTimeout
    /// `InternalFailureException`: a failure of the server's storage.
    case internalFailure
    /// `UnsupportedOperation`: a real-time message out of order, or not a subscription.
    case unsupportedOperation
    /// `DuplicatedOperationError`: a `start` whose id is already running.
    case duplicatedOperation
    /// `MaxSubscriptionsReachedError`: a connection holds as many subscriptions as it may.
    case maxSubscriptionsReached
    /// `LimitExceededError`: an event too large to send.
    case limitExceeded
    /// `ConnectionTimeout`: no `connection_init` in time.
    case connectionTimeout
    /// `OperationDisabled`: an operation the backend turned off (`@model(queries:)` and friends).
    case operationDisabled
    /// Any other error type, as sent.
    case other(String)

    private static let known: [(AppSyncErrorType, String)] = [
        (.conflictUnhandled, "ConflictUnhandled"),
        (.conditionalCheckFailed, "ConditionalCheckFailedException"),
        (.unauthorized, "UnauthorizedException"),
        (.notAuthorized, "Unauthorized"),
        (.badRequest, "BadRequestException"),
        (.invalidArguments, "InvalidArgumentsError"),
        (.executionTimeout, "ExecutionTimeout"),
        (.internalFailure, "InternalFailureException"),
        (.unsupportedOperation, "UnsupportedOperation"),
        (.duplicatedOperation, "DuplicatedOperationError"),
        (.maxSubscriptionsReached, "MaxSubscriptionsReachedError"),
        (.limitExceeded, "LimitExceededError"),
        (.connectionTimeout, "ConnectionTimeout"),
        (.operationDisabled, "OperationDisabled"),
    ]

    private static let byName: [String: AppSyncErrorType] = {
        var names = Dictionary(uniqueKeysWithValues: known.map { ($0.1, $0.0) })
        // The spelling AppSync itself uses for one of them.
        names["DynamoDB:ConditionalCheckFailedException"] = .conditionalCheckFailed
        return names
    }()

    /// The type named `rawValue`: a known one (in any of its spellings), else ``other(_:)``.
    public init(rawValue: String) {
        self = Self.byName[rawValue] ?? .other(rawValue)
    }

    /// The name this package sends.
    public var rawValue: String {
        if case .other(let name) = self { return name }
        return Self.known.first { $0.0 == self }?.1 ?? ""
    }

    /// The value as text, for messages and logs.
    public var description: String { rawValue }
}
