public import DataStore
public import Foundation

/// An API key the server accepts (`x-api-key`), valid until it expires.
///
/// Rotate keys by adding the new one (both work), moving clients to it, then removing the old
/// one or letting it expire.
public struct APIKey: Hashable, Sendable {
    /// The key's text.
    public var value: String
    /// When the key stops working; nil never.
    public var expires: Date?

    /// A key that works until `expires` (never when nil).
    public init(_ value: String, expires: Date? = nil) {
        self.value = value
        self.expires = expires
    }
}

/// An issuer of JSON Web Tokens the server trusts: a Cognito user pool, an OpenID Connect
/// provider, or your own service signing with a shared secret.
public struct TokenIssuer: Sendable {
    /// How the issuer's signatures are checked.
    public enum Keys: Sendable {
        /// HS256 with a secret shared between the issuer and this server.
        case sharedSecret([UInt8])
        /// RS256 or ES256 with the public keys of a JSON Web Key Set (the `jwks.json` a user
        /// pool or OIDC provider publishes), as JSON text. Each key needs a `kid`.
        case jwks(String)
    }

    /// The provider `@auth` rules name for this issuer's callers: `userPools` (the default for
    /// owner, groups and private rules) or `oidc`.
    public var provider: Caller.Provider
    /// The `iss` a token must carry; nil accepts any (only sensible with a shared secret).
    public var issuer: String?
    /// The audiences a token must name, one at least, in `aud` (ID tokens) or `client_id`
    /// (Cognito's access tokens); empty checks none.
    public var audiences: Set<String>
    /// The keys that sign the issuer's tokens.
    public var keys: Keys
    /// How far the issuer's clock may be off this server's when checking `exp` and `nbf`.
    public var clockSkew: Duration

    /// An issuer of tokens signed with `keys`.
    public init(
        provider: Caller.Provider = .userPools,
        issuer: String?,
        audiences: Set<String> = [],
        keys: Keys,
        clockSkew: Duration = .zero
    ) {
        self.provider = provider
        self.issuer = issuer
        self.audiences = audiences
        self.keys = keys
        self.clockSkew = clockSkew
    }
}

/// Why a request's credentials were refused; the text is what the client is told.
public struct AuthenticationFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong, for tests and logs.
    public enum Reason: String, Hashable, Sendable {
        /// Neither `x-api-key` nor `Authorization`.
        case missing
        /// An API key the server does not know.
        case unknownKey
        /// An API key past its expiry.
        case expiredKey
        /// A token that is not a JWT (three base64url parts, JSON header and claims).
        case malformedToken
        /// `alg: none`, an algorithm the key does not use, or an unknown `kid`.
        case algorithm
        /// A signature no trusted key made.
        case signature
        /// A token past its `exp` (or without one).
        case expired
        /// A token before its `nbf`.
        case notYetValid
        /// A token from an issuer the server does not trust.
        case issuer
        /// A token for another audience.
        case audience
        /// The server's own identity settings cannot be used (a key set that does not load).
        case serverSettings
    }

    /// What was wrong.
    public let reason: Reason
    /// The message for the client.
    public let message: String

    init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// Why a server's identity settings cannot be used.
public struct AuthConfigurationError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and how to fix it.
    public let message: String

    /// The message.
    public var description: String { message }
}

extension APIKey {
    /// A key as `datastore-server --api-key` takes it: `KEY`, or `KEY@EXPIRY` with the expiry an
    /// ISO 8601 date and time (`da2-abc@2027-01-31T00:00:00Z`) or a date (`da2-abc@2027-01-31`,
    /// midnight UTC).
    public init(commandLine text: String) throws(AuthConfigurationError) {
        guard let at = text.lastIndex(of: "@") else {
            guard !text.isEmpty else { throw AuthConfigurationError(message: "An API key cannot be empty.") }
            self.init(text)
            return
        }
        let value = String(text[..<at])
        let expiry = String(text[text.index(after: at)...])
        guard !value.isEmpty else { throw AuthConfigurationError(message: "The API key before @\(expiry) is empty.") }
        let date =
            (try? Date(expiry, strategy: .iso8601))
            ?? (try? Date(expiry + "T00:00:00Z", strategy: .iso8601))
        guard let date else {
            throw AuthConfigurationError(
                message:
                    "The expiry of API key \(value) is not a date: \(expiry) (write 2027-01-31 or 2027-01-31T12:00:00Z)."
            )
        }
        self.init(value, expires: date)
    }
}

extension TokenIssuer {
    /// An issuer as `datastore-server --token-issuer` takes it: comma-separated settings,
    /// `iss=URL` (the `iss` tokens carry), `jwks=PATH` (a JSON Web Key Set file) or
    /// `secret-file=PATH` (an HS256 secret), `aud=AUDIENCE` (repeatable), `provider=userPools`
    /// or `provider=oidc`, `skew=SECONDS`.
    ///
    /// - Parameters:
    ///   - text: The settings, as given on the command line.
    ///   - readFile: Reads a named file (tests pass their own).
    public init(
        commandLine text: String,
        readFile: (String) throws -> [UInt8] = { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
    ) throws(AuthConfigurationError) {
        var issuer: String?
        var audiences: Set<String> = []
        var keys: Keys?
        var provider = Caller.Provider.userPools
        var skew = Duration.zero
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[1].isEmpty else {
                throw AuthConfigurationError(message: "--token-issuer takes NAME=VALUE settings; \(part) is not one.")
            }
            func read(_ path: String) throws(AuthConfigurationError) -> [UInt8] {
                do {
                    return try readFile(path)
                } catch {
                    throw AuthConfigurationError(
                        message: "The file \(path) of a --token-issuer cannot be read: \(error)."
                    )
                }
            }
            switch pair[0] {
            case "iss": issuer = pair[1]
            case "aud": audiences.insert(pair[1])
            case "jwks": keys = .jwks(String(decoding: try read(pair[1]), as: UTF8.self))
            case "secret-file":
                var secret = try read(pair[1])
                while let last = secret.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
                    secret.removeLast()
                }
                keys = .sharedSecret(secret)
            case "provider":
                guard let named = Caller.Provider(rawValue: pair[1]), [.userPools, .oidc].contains(named) else {
                    throw AuthConfigurationError(
                        message: "A --token-issuer provider is userPools or oidc, not \(pair[1])."
                    )
                }
                provider = named
            case "skew":
                guard let seconds = Int(pair[1]), seconds >= 0 else {
                    throw AuthConfigurationError(
                        message: "A --token-issuer skew is a number of seconds, not \(pair[1])."
                    )
                }
                skew = .seconds(seconds)
            default:
                throw AuthConfigurationError(
                    message:
                        "A --token-issuer has no setting \(pair[0]); use iss, jwks, secret-file, aud, provider, skew."
                )
            }
        }
        guard let keys else {
            throw AuthConfigurationError(message: "A --token-issuer needs its keys: jwks=PATH or secret-file=PATH.")
        }
        if case .jwks = keys, issuer == nil {
            throw AuthConfigurationError(
                message: "A --token-issuer with a key set needs iss=URL: the issuer its tokens name."
            )
        }
        self.init(provider: provider, issuer: issuer, audiences: audiences, keys: keys, clockSkew: skew)
    }
}
