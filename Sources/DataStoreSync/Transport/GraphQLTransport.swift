public import DataStoreAppSync

/// Sends GraphQL operations to the backend: the sync engine's only way to the network for
/// queries and mutations.
///
/// ``AppSyncHTTPTransport`` is the real one. Tests wrap it to inject faults (a request that
/// reaches the server but whose answer is lost, say); the engine sees only ``SendFailure``s.
public protocol GraphQLTransport: Sendable {
    /// Sends `request` and returns the backend's GraphQL response (which may carry errors).
    ///
    /// - Throws: ``SendFailure`` when no GraphQL response came back: the transport failed, the
    ///   status was not 200, or the body was not a GraphQL response.
    func send(_ request: OperationRequest) async throws(SendFailure) -> GraphQLResponse
}

/// How the client proves who it is to the backend (PROTOCOL §5).
public enum SyncAuthorization: Sendable {
    /// An API key, sent as `x-api-key`.
    case apiKey(String)
    /// A token from `provider`, sent as `Authorization`; asked for before every request, so an
    /// expired token is replaced by a fresh one (the auth issue fills this in for JWTs).
    case token(@Sendable () async throws -> String)

    /// The header that carries the credentials.
    func header() async throws(SendFailure) -> (name: String, value: String) {
        switch self {
        case .apiKey(let key):
            return ("x-api-key", key)
        case .token(let provider):
            do {
                return ("Authorization", try await provider())
            } catch {
                throw .status(
                    401,
                    retryAfter: nil,
                    errors: [
                        AppSyncError(.unauthorized, "The token provider failed: \(error).")
                    ]
                )
            }
        }
    }
}
