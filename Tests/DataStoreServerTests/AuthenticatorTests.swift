import DataStore
import DataStoreAppSync
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreServer

/// Identity providers: API keys with expiry and rotation, and JWTs (HS256, RS256, ES256) with
/// their issuer, audience, times and algorithm checked.
@Suite("Authenticator")
struct AuthenticatorTests {
    /// One issuer of each kind for the whole file.
    static let issuers: [TestTokenIssuer] = TestTokenIssuer.Algorithm.allCases.map { algorithm in
        try! TestTokenIssuer(algorithm: algorithm, issuer: "https://\(algorithm.rawValue.lowercased()).test")
    }

    static func reason(_ result: Result<Caller, AuthenticationFailure>) -> AuthenticationFailure.Reason? {
        if case .failure(let failure) = result { return failure.reason }
        return nil
    }

    @Test(
        "API keys: a valid key passes; unknown, missing and expired keys are refused; two keys overlap during a rotation"
    )
    func apiKeys() async throws {
        let clock = ManualClock()
        let now = Date(timeIntervalSince1970: Double(clock.millisecondsSince1970) / 1000)
        let authenticator = try await Authenticator(
            apiKeys: [APIKey("da2-old", expires: now.addingTimeInterval(60)), APIKey("da2-new")],
            issuers: [],
            clock: clock
        )
        #expect(try await authenticator.caller(apiKey: "da2-old", authorization: nil).get() == .apiKey)
        #expect(try await authenticator.caller(apiKey: "da2-new", authorization: nil).get() == .apiKey)
        #expect(Self.reason(await authenticator.caller(apiKey: "da2-other", authorization: nil)) == .unknownKey)
        #expect(Self.reason(await authenticator.caller(apiKey: nil, authorization: nil)) == .missing)
        #expect(Self.reason(await authenticator.caller(apiKey: "", authorization: nil)) == .missing)
        clock.advance(by: .seconds(60))
        #expect(Self.reason(await authenticator.caller(apiKey: "da2-old", authorization: nil)) == .expiredKey)
        #expect(try await authenticator.caller(apiKey: "da2-new", authorization: nil).get() == .apiKey)
        // A token, when sent, is what counts: a valid key does not rescue a bad token.
        #expect(
            Self.reason(await authenticator.caller(apiKey: "da2-new", authorization: "not-a-jwt")) == .malformedToken
        )
    }

    @Test("tokens of each algorithm: valid ones give their claims; expired, early, foreign and forged ones are refused")
    func tokens() async throws {
        let clock = ManualClock()
        let now = Date(timeIntervalSince1970: Double(clock.millisecondsSince1970) / 1000)
        for issuer in Self.issuers {
            let authenticator = try await Authenticator(apiKeys: [], issuers: [try issuer.tokenIssuer], clock: clock)
            let token = try issuer.token(sub: "a-1", username: "alice", groups: ["Admin"], now: now)
            let caller = try await authenticator.caller(apiKey: nil, authorization: token).get()
            #expect(caller.provider == .userPools, "\(issuer.algorithm)")
            #expect(caller.values(of: "sub::username") == ["a-1::alice"])
            #expect(caller.values(of: "cognito:groups") == ["Admin"])
            // `Bearer ` is accepted too.
            #expect(try await authenticator.caller(apiKey: nil, authorization: "Bearer " + token).get() == caller)

            let cases: [(String, AuthenticationFailure.Reason)] = [
                (try issuer.token(sub: "a-1", now: now, expiresIn: -1), .expired),
                (try issuer.token(sub: "a-1", now: now, extra: ["exp": .null]), .expired),
                (
                    try issuer.token(sub: "a-1", now: now, extra: ["nbf": .int(Int(now.timeIntervalSince1970) + 60)]),
                    .notYetValid
                ),
                (try issuer.token(sub: "a-1", now: now, extra: ["iss": "https://elsewhere.test"]), .issuer),
                (try issuer.token(sub: "a-1", now: now, extra: ["aud": "another-client"]), .audience),
                // Someone else's key under the issuer's name and kid: the signature does not check.
                (
                    try TestTokenIssuer(algorithm: issuer.algorithm, issuer: issuer.issuer, rsaKey: 1).sign(
                        claims: [
                            "sub": "a-1", "iss": .string(issuer.issuer), "aud": .string(issuer.audience),
                            "exp": .int(Int(now.timeIntervalSince1970) + 600),
                        ],
                        header: ["alg": .string(issuer.algorithm.rawValue), "kid": .string(issuer.keyID)]
                    ),
                    .signature
                ),
                // Claims changed after signing.
                (Self.tampered(token), .signature),
                // alg none, with and without a signature.
                (Self.unsigned(token, keepSignature: false), .algorithm),
                (Self.unsigned(token, keepSignature: true), .algorithm),
                ("a.b", .malformedToken),
                ("!!.??.##", .malformedToken),
            ]
            for (index, (bad, reason)) in cases.enumerated() {
                let result = await authenticator.caller(apiKey: nil, authorization: bad)
                #expect(Self.reason(result) == reason, "\(issuer.algorithm) case \(index): \(result)")
            }
        }
    }

    @Test("algorithm confusion: an HS256 token made with the issuer's public key set as the secret is refused")
    func algorithmConfusion() async throws {
        let clock = ManualClock()
        let now = Date(timeIntervalSince1970: Double(clock.millisecondsSince1970) / 1000)
        for issuer in Self.issuers where issuer.algorithm != .hs256 {
            let authenticator = try await Authenticator(apiKeys: [], issuers: [try issuer.tokenIssuer], clock: clock)
            let claims: [String: FieldValue] = [
                "sub": "mallory", "iss": .string(issuer.issuer), "aud": .string(issuer.audience),
                "exp": .int(Int(now.timeIntervalSince1970) + 600),
            ]
            let forged = TestTokenIssuer.hmacSigned(
                header: ["alg": "HS256", "typ": "JWT", "kid": .string(issuer.keyID)],
                claims: claims,
                secret: Array(try issuer.jwks.utf8)
            )
            #expect(Self.reason(await authenticator.caller(apiKey: nil, authorization: forged)) == .algorithm)
            // The other asymmetric algorithm, with the right kid, is refused before any check.
            let other = issuer.algorithm == .rs256 ? "ES256" : "RS256"
            let switched = try issuer.sign(
                claims: claims,
                header: ["alg": .string(other), "kid": .string(issuer.keyID)]
            )
            #expect(Self.reason(await authenticator.caller(apiKey: nil, authorization: switched)) == .algorithm)
            // An unknown kid.
            let unknown = try issuer.sign(
                claims: claims,
                header: ["alg": .string(issuer.algorithm.rawValue), "kid": "nope"]
            )
            #expect(Self.reason(await authenticator.caller(apiKey: nil, authorization: unknown)) == .algorithm)
        }
    }

    @Test("several issuers and API keys at once; clock skew; OIDC callers carry their provider")
    func severalProviders() async throws {
        let clock = ManualClock()
        let now = Date(timeIntervalSince1970: Double(clock.millisecondsSince1970) / 1000)
        var oidc = try Self.issuers[2].tokenIssuer
        oidc.provider = .oidc
        oidc.clockSkew = .seconds(30)
        let authenticator = try await Authenticator(
            apiKeys: [APIKey("da2-key")],
            issuers: [try Self.issuers[0].tokenIssuer, try Self.issuers[1].tokenIssuer, oidc],
            clock: clock
        )
        #expect(try await authenticator.caller(apiKey: "da2-key", authorization: nil).get() == .apiKey)
        #expect(
            try await authenticator.caller(apiKey: nil, authorization: Self.issuers[0].token(sub: "u", now: now)).get()
                .provider == .userPools
        )
        #expect(
            try await authenticator.caller(apiKey: nil, authorization: Self.issuers[1].token(sub: "u", now: now)).get()
                .provider == .userPools
        )
        // Expired 20 s ago, within the 30 s skew; then past it.
        let late = try Self.issuers[2].token(sub: "u", now: now, expiresIn: -20)
        #expect(try await authenticator.caller(apiKey: nil, authorization: late).get().provider == .oidc)
        clock.advance(by: .seconds(10))
        #expect(Self.reason(await authenticator.caller(apiKey: nil, authorization: late)) == .expired)
    }

    @Test("settings that cannot work are refused at start: short secrets, keys without kid, unknown key types")
    func configuration() async throws {
        let clock = ManualClock()
        await #expect(throws: AuthConfigurationError.self) {
            try await Authenticator(
                apiKeys: [],
                issuers: [TokenIssuer(issuer: nil, keys: .sharedSecret(Array("short".utf8)))],
                clock: clock
            )
        }
        // A server whose settings do not load refuses everyone, saying why.
        let broken = AuthenticatorSource(
            apiKeys: [APIKey("k")],
            issuers: [TokenIssuer(issuer: "i", keys: .jwks("no"))],
            clock: clock
        )
        #expect(Self.reason(await broken.caller(apiKey: "k", authorization: nil)) == .serverSettings)
        for jwks in [
            #"{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}"#,
            #"{"keys": [{"kid": "k", "kty": "oct", "k": "c2VjcmV0"}]}"#, "[]", "no",
        ] {
            await #expect(throws: AuthConfigurationError.self, "\(jwks)") {
                try await Authenticator(
                    apiKeys: [],
                    issuers: [TokenIssuer(issuer: "i", keys: .jwks(jwks))],
                    clock: clock
                )
            }
        }
    }

    @Test("verified tokens are remembered, the oldest forgotten first; a remembered token still expires")
    func remembered() async throws {
        let tokens = VerifiedTokens(capacity: 2)
        for name in ["a", "b", "c"] {
            tokens.insert(name, caller: Caller(provider: .oidc, claims: ["sub": .string(name)]), issuer: 0)
        }
        #expect(tokens.lookup("a") == nil)
        #expect(tokens.lookup("b")?.caller.claims["sub"] == "b")
        #expect(tokens.lookup("c")?.caller.provider == .oidc)
        // Inserting a known token again does not push another out.
        tokens.insert("c", caller: Caller(provider: .oidc), issuer: 0)
        #expect(tokens.lookup("b") != nil)

        let clock = ManualClock()
        let now = Date(timeIntervalSince1970: Double(clock.millisecondsSince1970) / 1000)
        let issuer = Self.issuers[1]
        let authenticator = try await Authenticator(apiKeys: [], issuers: [try issuer.tokenIssuer], clock: clock)
        let token = try issuer.token(sub: "a-1", now: now, expiresIn: 60)
        #expect(try await authenticator.caller(apiKey: nil, authorization: token).get().values(of: "sub") == ["a-1"])
        #expect(try await authenticator.caller(apiKey: nil, authorization: token).get().values(of: "sub") == ["a-1"])
        clock.advance(by: .seconds(60))
        #expect(Self.reason(await authenticator.caller(apiKey: nil, authorization: token)) == .expired)
    }

    /// `token` with its claims replaced by a richer user's, keeping the signature.
    static func tampered(_ token: String) -> String {
        let parts = token.split(separator: ".")
        let claims = Base64URL.decode(parts[1]).flatMap {
            try? FieldValue(jsonText: String(decoding: $0, as: UTF8.self))
        }
        guard case .object(var members)? = claims else { return token }
        members["cognito:groups"] = ["Admin", "Owners"]
        return [String(parts[0]), Base64URL.encode(Array(FieldValue.object(members).jsonText.utf8)), String(parts[2])]
            .joined(separator: ".")
    }

    /// `token` with `alg: none`.
    static func unsigned(_ token: String, keepSignature: Bool) -> String {
        let parts = token.split(separator: ".")
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        return header + "." + parts[1] + "." + (keepSignature ? parts[2] : "")
    }
}
