public import DataStore
import DataStoreAppSync
import Foundation
import JWTKit

/// Establishes who calls: an API key, or a JWT from a trusted issuer (PROTOCOL §5). Several
/// providers at once, as AppSync's additional authorization modes: a request with an
/// `Authorization` header is judged by its token, else by its `x-api-key`.
public struct Authenticator: Sendable {
    private struct Issuer: Sendable {
        let settings: TokenIssuer
        let keys: JWTKeyCollection
        /// For JWKS issuers: each key's `kid`, with the algorithm it signs with.
        let algorithms: [String: String]
    }

    private let apiKeys: [String: APIKey]
    private let issuers: [Issuer]
    private let clock: any WallClock
    /// Tokens already verified: a client sends the same token with every request until it
    /// expires, and checking its signature once is enough (its times are checked every time).
    private let verified = VerifiedTokens(capacity: 4_096)

    /// An authenticator accepting `apiKeys` and the tokens of `issuers`, telling time by `clock`.
    ///
    /// - Throws: ``AuthConfigurationError`` for a JWKS that does not parse, a key without a
    ///   `kid`, a key type other than RSA or P-256, or a shared secret under 16 bytes.
    public init(apiKeys: [APIKey], issuers: [TokenIssuer], clock: any WallClock) async throws(AuthConfigurationError) {
        var keys: [String: APIKey] = [:]
        for key in apiKeys {
            // A key listed twice works until the later of its expiries (nil: never).
            if let known = keys[key.value] {
                guard let knownExpiry = known.expires else { continue }
                if let expiry = key.expires, expiry < knownExpiry { continue }
            }
            keys[key.value] = key
        }
        self.apiKeys = keys
        var prepared: [Issuer] = []
        for (index, issuer) in issuers.enumerated() {
            let name = issuer.issuer ?? "number \(index + 1)"
            let collection = JWTKeyCollection()
            var algorithms: [String: String] = [:]
            switch issuer.keys {
            case .sharedSecret(let secret):
                guard secret.count >= 16 else {
                    throw AuthConfigurationError(
                        message: "The shared secret of token issuer \(name) has \(secret.count) bytes; use 16 at least "
                            + "(32 random bytes is usual)."
                    )
                }
                await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            case .jwks(let json):
                algorithms = try Self.algorithms(ofJWKS: json, issuer: name)
                do {
                    try await collection.add(jwksJSON: json)
                } catch {
                    throw AuthConfigurationError(message: "The JWKS of token issuer \(name) cannot be used: \(error).")
                }
            }
            prepared.append(Issuer(settings: issuer, keys: collection, algorithms: algorithms))
        }
        self.issuers = prepared
        self.clock = clock
    }

    /// Whether no credentials are configured at all (every request is refused).
    public var acceptsNothing: Bool { apiKeys.isEmpty && issuers.isEmpty }

    /// The caller of a request with these credentials: the `Authorization` header's token when
    /// there is one, else the `x-api-key`.
    public func caller(apiKey: String?, authorization: String?) async -> Result<Caller, AuthenticationFailure> {
        if let authorization, !authorization.isEmpty { return await verify(token: authorization) }
        guard let apiKey, !apiKey.isEmpty else {
            return .failure(
                AuthenticationFailure(
                    .missing,
                    "You are not authorized to make this call: send an API key (x-api-key) or a token (Authorization)."
                )
            )
        }
        guard let key = apiKeys[apiKey] else {
            return .failure(
                AuthenticationFailure(
                    .unknownKey,
                    "You are not authorized to make this call: the API key is not valid."
                )
            )
        }
        if let expires = key.expires, clock.millisecondsSince1970 >= Int64(expires.timeIntervalSince1970 * 1000) {
            return .failure(
                AuthenticationFailure(.expiredKey, "You are not authorized to make this call: the API key has expired.")
            )
        }
        return .success(.apiKey)
    }

    /// The caller a JWT vouches for, after its signature, algorithm, issuer, audience and times
    /// are checked.
    func verify(token text: String) async -> Result<Caller, AuthenticationFailure> {
        if let known = verified.lookup(text) {
            return checkClaims(known.caller.claims, of: issuers[known.issuer].settings)
        }
        var token = Substring(text)
        if token.lowercased().hasPrefix("bearer ") { token = token.dropFirst("bearer ".count) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
            let claimBytes = Base64URL.decode(parts[1]),
            case .object(let header)? = try? FieldValue(jsonText: String(decoding: headerBytes, as: UTF8.self)),
            case .object(let claims)? = try? FieldValue(jsonText: String(decoding: claimBytes, as: UTF8.self)),
            let signature = Base64URL.decode(parts[2])
        else {
            return .failure(Self.failure(.malformedToken, "the token is not a JSON Web Token"))
        }
        guard case .string(let algorithm)? = header["alg"], algorithm.lowercased() != "none", !signature.isEmpty else {
            return .failure(Self.failure(.algorithm, "unsigned tokens (alg none) are not accepted"))
        }
        var kid: String?
        if case .string(let named)? = header["kid"] { kid = named }
        let issuerClaim: String?
        if case .string(let named)? = claims["iss"] { issuerClaim = named } else { issuerClaim = nil }
        guard issuers.contains(where: { $0.settings.issuer == nil || $0.settings.issuer == issuerClaim }) else {
            return .failure(Self.failure(.issuer, "tokens of issuer \(issuerClaim ?? "(none)") are not accepted"))
        }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        var failure = Self.failure(.algorithm, "no trusted key signs with \(algorithm)")
        for (index, candidate) in issuers.enumerated()
        where candidate.settings.issuer == nil || candidate.settings.issuer == issuerClaim {
            switch await check(signature, of: signingInput, algorithm: algorithm, kid: kid, by: candidate) {
            case .failure(let refused):
                if refused.reason == .signature || failure.reason == .algorithm { failure = refused }
                continue
            case .success:
                let result = checkClaims(claims, of: candidate.settings)
                if case .success(let caller) = result { verified.insert(text, caller: caller, issuer: index) }
                return result
            }
        }
        return .failure(failure)
    }

    private func check(
        _ signature: [UInt8],
        of input: [UInt8],
        algorithm: String,
        kid: String?,
        by issuer: Issuer
    ) async -> Result<Void, AuthenticationFailure> {
        let key: any JWTAlgorithm
        switch issuer.settings.keys {
        case .sharedSecret:
            // HMAC only: a token claiming RS256 must not be checked against the secret, nor a
            // token claiming HS256 against a public key (algorithm confusion).
            guard algorithm == "HS256" else {
                return .failure(Self.failure(.algorithm, "this issuer signs with HS256, not \(algorithm)"))
            }
            do {
                key = try await issuer.keys.getKey()
            } catch {
                return .failure(Self.failure(.algorithm, "the issuer's key is not usable"))
            }
        case .jwks:
            let chosen = kid ?? (issuer.algorithms.count == 1 ? issuer.algorithms.keys.first : nil)
            guard let chosen, let expected = issuer.algorithms[chosen] else {
                return .failure(Self.failure(.algorithm, "the token names no key (kid) of the issuer's key set"))
            }
            guard expected == algorithm else {
                return .failure(Self.failure(.algorithm, "key \(chosen) signs with \(expected), not \(algorithm)"))
            }
            do {
                key = try await issuer.keys.getKey(for: JWKIdentifier(string: chosen), alg: algorithm)
            } catch {
                return .failure(Self.failure(.algorithm, "key \(chosen) cannot check \(algorithm) signatures"))
            }
            guard key.name == algorithm else {
                return .failure(Self.failure(.algorithm, "key \(chosen) signs with \(key.name), not \(algorithm)"))
            }
        }
        let valid = (try? key.verify(signature, signs: input)) ?? false
        return valid ? .success(()) : .failure(Self.failure(.signature, "the token's signature is not valid"))
    }

    private func checkClaims(
        _ claims: [String: FieldValue],
        of issuer: TokenIssuer
    ) -> Result<Caller, AuthenticationFailure> {
        let now = clock.millisecondsSince1970
        let skew = issuer.clockSkew.milliseconds
        guard let expiry = Self.seconds(claims["exp"]) else {
            return .failure(Self.failure(.expired, "the token has no expiry (exp)"))
        }
        guard now < Int64(expiry * 1000) + skew else {
            return .failure(Self.failure(.expired, "the token has expired; sign in again or refresh it"))
        }
        if let notBefore = Self.seconds(claims["nbf"]), now + skew < Int64(notBefore * 1000) {
            return .failure(Self.failure(.notYetValid, "the token is not valid yet (nbf)"))
        }
        if !issuer.audiences.isEmpty {
            var named: [String] = []
            for claim in ["aud", "client_id"] {
                switch claims[claim] {
                case .string(let value)?: named.append(value)
                case .list(let values)?: named += values.compactMap { if case .string(let v) = $0 { v } else { nil } }
                default: break
                }
            }
            guard !issuer.audiences.isDisjoint(with: named) else {
                return .failure(Self.failure(.audience, "the token is for another audience"))
            }
        }
        return .success(Caller(provider: issuer.provider, claims: claims))
    }

    private static func seconds(_ value: FieldValue?) -> Double? {
        switch value {
        case .int(let number)?: Double(number)
        case .double(let number)?: number.isFinite ? number : nil
        default: nil
        }
    }

    private static func failure(_ reason: AuthenticationFailure.Reason, _ detail: String) -> AuthenticationFailure {
        AuthenticationFailure(reason, "You are not authorized to make this call: \(detail).")
    }

    /// Each key's `kid` and the one algorithm it signs with: RS256 for RSA keys, ES256 for P-256
    /// keys (a key's own `alg`, when given, must be that one).
    static func algorithms(ofJWKS json: String, issuer: String) throws(AuthConfigurationError) -> [String: String] {
        guard case .object(let set)? = try? FieldValue(jsonText: json), case .list(let keys)? = set["keys"] else {
            throw AuthConfigurationError(
                message: "The JWKS of token issuer \(issuer) is not a JSON object with a keys list."
            )
        }
        var algorithms: [String: String] = [:]
        for (index, entry) in keys.enumerated() {
            guard case .object(let key) = entry, case .string(let kid)? = key["kid"], !kid.isEmpty else {
                throw AuthConfigurationError(
                    message: "Key \(index + 1) of the JWKS of token issuer \(issuer) has no kid."
                )
            }
            let algorithm: String
            switch (key["kty"], key["crv"]) {
            case (.string("RSA")?, _): algorithm = "RS256"
            case (.string("EC")?, .string("P-256")?): algorithm = "ES256"
            default:
                throw AuthConfigurationError(
                    message: "Key \(kid) of the JWKS of token issuer \(issuer) is neither RSA nor EC P-256; "
                        + "tokens are checked with RS256 and ES256."
                )
            }
            if case .string(let declared)? = key["alg"], declared != algorithm {
                throw AuthConfigurationError(
                    message:
                        "Key \(kid) of the JWKS of token issuer \(issuer) declares alg \(declared); only \(algorithm) is accepted for it."
                )
            }
            if case .string(let use)? = key["use"], use != "sig" { continue }
            algorithms[kid] = algorithm
        }
        return algorithms
    }
}
