import DataStore
import DequeModule

/// The server's authenticator, made from its options once (key sets are loaded before the server
/// starts) and then shared by every request; verification runs in each request's own task.
final class AuthenticatorSource: Sendable {
    private let apiKeys: [APIKey]
    private let issuers: [TokenIssuer]
    private let clock: any WallClock
    private let made = Locked<Result<Authenticator, AuthConfigurationError>?>(nil)

    init(apiKeys: [APIKey], issuers: [TokenIssuer], clock: any WallClock) {
        self.apiKeys = apiKeys
        self.issuers = issuers
        self.clock = clock
    }

    /// The authenticator, made on first use (two first uses at once make two; one is kept).
    func authenticator() async throws(AuthConfigurationError) -> Authenticator {
        if let known = made.withLock({ $0 }) { return try known.get() }
        let result: Result<Authenticator, AuthConfigurationError>
        do {
            result = .success(try await Authenticator(apiKeys: apiKeys, issuers: issuers, clock: clock))
        } catch {
            result = .failure(error)
        }
        return try made.withLock { stored in
            if stored == nil { stored = result }
            return stored!
        }.get()
    }

    /// The caller of a request with these credentials; a server whose identity settings cannot
    /// be used refuses everyone.
    func caller(apiKey: String?, authorization: String?) async -> Result<Caller, AuthenticationFailure> {
        let authenticator: Authenticator
        do {
            authenticator = try await self.authenticator()
        } catch {
            return .failure(
                AuthenticationFailure(.serverSettings, "The server cannot check credentials: \(error.message)")
            )
        }
        return await authenticator.caller(apiKey: apiKey, authorization: authorization)
    }
}

/// Tokens whose signatures were verified, with the caller each vouches for: at most `capacity`,
/// the oldest forgotten first.
final class VerifiedTokens: Sendable {
    private struct Entries {
        var callers: [String: (caller: Caller, issuer: Int)] = [:]
        var order = Deque<String>()
    }

    private let capacity: Int
    private let entries = Locked(Entries())

    init(capacity: Int) {
        self.capacity = capacity
    }

    func lookup(_ token: String) -> (caller: Caller, issuer: Int)? {
        entries.withLock { $0.callers[token] }
    }

    func insert(_ token: String, caller: Caller, issuer: Int) {
        entries.withLock { entries in
            guard entries.callers.updateValue((caller, issuer), forKey: token) == nil else { return }
            entries.order.append(token)
            if entries.order.count > capacity, let oldest = entries.order.popFirst() {
                entries.callers[oldest] = nil
            }
        }
    }
}
