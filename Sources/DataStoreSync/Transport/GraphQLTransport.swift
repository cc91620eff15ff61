public import DataStore
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

    /// Sends `request` with the credentials of `mode` (nil: the transport's default). The
    /// default implementation ignores the mode.
    func send(_ request: OperationRequest, mode: ModelAuthRule.Provider?) async throws(SendFailure) -> GraphQLResponse

    /// The credentials to try, in order, for `operation` on a model with `rules` (nil: the
    /// transport's default). The default implementation has one: the default.
    func modes(for rules: [ModelAuthRule], _ operation: ModelAuthRule.Operation) -> [ModelAuthRule.Provider?]
}

extension GraphQLTransport {
    /// Sends `request` as ``send(_:)`` does, whatever `mode` says.
    public func send(
        _ request: OperationRequest,
        mode: ModelAuthRule.Provider?
    ) async throws(SendFailure)
        -> GraphQLResponse
    {
        try await send(request)
    }

    /// The transport's default credentials only.
    public func modes(for rules: [ModelAuthRule], _ operation: ModelAuthRule.Operation) -> [ModelAuthRule.Provider?] {
        [nil]
    }
}

/// How the client proves who it is to the backend (PROTOCOL §5): an API key, tokens from the
/// app's sign-in (a user pool, an OIDC provider), or several of them at once.
///
/// With several (``multiAuth(apiKey:userPools:oidc:)``), each model's requests use the
/// credentials its `@auth` rules name, most specific first as Amplify's `multiAuth` strategy
/// orders them (owner rules, then groups, then private, then public), falling back to the next
/// when the backend refuses one: a signed-out user still reads a model's public items with the
/// API key.
///
/// A token provider is asked before every request (return the current token, refreshed when it
/// has expired) and once more after the backend answers 401, in case the token expired on the
/// way; when it throws (no user signed in), that mode is skipped.
public struct SyncAuthorization: Sendable {
    /// Returns the current token of a signed-in user.
    public typealias TokenProvider = @Sendable () async throws -> String

    /// The API key (`x-api-key`), if the app has one.
    public let apiKey: String?
    /// The user pool's tokens (`Authorization`).
    public let userPools: TokenProvider?
    /// The OIDC provider's tokens (`Authorization`).
    public let oidc: TokenProvider?
    /// The credentials used when no rule chooses (the real-time connection's, and every
    /// request's unless several are given).
    public let defaultMode: ModelAuthRule.Provider
    /// Whether each model's rules choose its credentials.
    public let isMultiAuth: Bool

    private init(
        apiKey: String?,
        userPools: TokenProvider?,
        oidc: TokenProvider?,
        defaultMode: ModelAuthRule.Provider,
        isMultiAuth: Bool
    ) {
        self.apiKey = apiKey
        self.userPools = userPools
        self.oidc = oidc
        self.defaultMode = defaultMode
        self.isMultiAuth = isMultiAuth
    }

    /// An API key, sent as `x-api-key` with every request.
    public static func apiKey(_ key: String) -> SyncAuthorization {
        SyncAuthorization(apiKey: key, userPools: nil, oidc: nil, defaultMode: .apiKey, isMultiAuth: false)
    }

    /// A user pool's token, sent as `Authorization` with every request.
    public static func token(_ provider: @escaping TokenProvider) -> SyncAuthorization {
        SyncAuthorization(apiKey: nil, userPools: provider, oidc: nil, defaultMode: .userPools, isMultiAuth: false)
    }

    /// An OIDC provider's token, sent as `Authorization` with every request.
    public static func oidc(_ provider: @escaping TokenProvider) -> SyncAuthorization {
        SyncAuthorization(apiKey: nil, userPools: nil, oidc: provider, defaultMode: .oidc, isMultiAuth: false)
    }

    /// Several credentials, chosen per model by its rules. The default (for the real-time
    /// connection, and models without rules) is the user pool's, else the OIDC provider's, else
    /// the API key.
    public static func multiAuth(
        apiKey: String? = nil,
        userPools: TokenProvider? = nil,
        oidc: TokenProvider? = nil
    ) -> SyncAuthorization {
        let defaultMode: ModelAuthRule.Provider = userPools != nil ? .userPools : oidc != nil ? .oidc : .apiKey
        return SyncAuthorization(
            apiKey: apiKey,
            userPools: userPools,
            oidc: oidc,
            defaultMode: defaultMode,
            isMultiAuth: true
        )
    }

    /// The modes these credentials can send.
    var available: [ModelAuthRule.Provider] {
        [(ModelAuthRule.Provider.userPools, userPools != nil), (.oidc, oidc != nil), (.apiKey, apiKey != nil)]
            .filter(\.1).map(\.0)
    }

    /// The modes to try for `operation` on a model with `rules`, in order.
    public func modes(for rules: [ModelAuthRule], _ operation: ModelAuthRule.Operation) -> [ModelAuthRule.Provider] {
        guard isMultiAuth else { return [defaultMode] }
        return AuthModes.order(rules, operation, available: available, defaultMode: defaultMode)
    }

    /// The token provider of `mode`, if it is a token mode this authorization has.
    func tokenProvider(_ mode: ModelAuthRule.Provider) -> TokenProvider? {
        switch mode {
        case .userPools: userPools
        case .oidc: oidc
        default: nil
        }
    }

    /// The header that carries the credentials of `mode` (nil: the default).
    func header(_ mode: ModelAuthRule.Provider? = nil) async throws(SendFailure) -> (name: String, value: String) {
        let mode = mode ?? defaultMode
        if mode == .apiKey, let apiKey { return ("x-api-key", apiKey) }
        guard let provider = tokenProvider(mode) else {
            throw .status(
                401,
                retryAfter: nil,
                errors: [AppSyncError(.unauthorized, "No credentials of kind \(mode.rawValue) are configured.")]
            )
        }
        do {
            return ("Authorization", try await provider())
        } catch {
            throw .status(
                401,
                retryAfter: nil,
                errors: [AppSyncError(.unauthorized, "The token provider failed: \(error).")]
            )
        }
    }
}
