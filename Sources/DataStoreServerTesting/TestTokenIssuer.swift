import Crypto
import CryptoExtras
public import DataStore
import DataStoreAppSync
public import DataStoreServer
public import Foundation

/// An identity provider for tests: signs JSON Web Tokens the way a Cognito user pool or an OIDC
/// provider does (HS256 with a shared secret, RS256 or ES256 with a published key set), and
/// describes itself as the ``TokenIssuer`` a test server trusts.
public struct TestTokenIssuer: Sendable {
    /// How the issuer signs.
    public enum Algorithm: String, Sendable, CaseIterable {
        case hs256 = "HS256"
        case rs256 = "RS256"
        case es256 = "ES256"
    }

    private enum Signer: Sendable {
        case secret([UInt8])
        case rsa(_RSA.Signing.PrivateKey)
        case ec(P256.Signing.PrivateKey)
    }

    /// The `iss` of its tokens.
    public let issuer: String
    /// The `aud` of its tokens (and the audience a server checks).
    public let audience: String
    /// How it signs.
    public let algorithm: Algorithm
    /// The `kid` of its key (RS256, ES256).
    public let keyID: String
    private let signer: Signer

    /// A new issuer with fresh keys. RSA keys take a moment to make: share one issuer per test file.
    public init(
        algorithm: Algorithm = .hs256,
        issuer: String = "https://issuer.test",
        audience: String = "test-client"
    )
        throws
    {
        self.issuer = issuer
        self.audience = audience
        self.algorithm = algorithm
        keyID = "key-" + UUID().uuidString.prefix(8).lowercased()
        switch algorithm {
        case .hs256: signer = .secret(Array(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
        case .rs256: signer = .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        case .es256: signer = .ec(P256.Signing.PrivateKey())
        }
    }

    /// The issuer as the server's settings name it.
    public var tokenIssuer: TokenIssuer {
        get throws {
            TokenIssuer(issuer: issuer, audiences: [audience], keys: try keys)
        }
    }

    /// The keys a server checks this issuer's tokens with: the secret, or the public key set.
    public var keys: TokenIssuer.Keys {
        get throws {
            switch signer {
            case .secret(let secret): return .sharedSecret(secret)
            case .rsa, .ec: return .jwks(try jwks)
            }
        }
    }

    /// The JSON Web Key Set of the public key (RS256, ES256); an empty set for HS256.
    public var jwks: String {
        get throws {
            var key: [String: FieldValue] = ["kid": .string(keyID), "use": "sig", "alg": .string(algorithm.rawValue)]
            switch signer {
            case .secret:
                return FieldValue.object(["keys": []]).jsonText
            case .rsa(let privateKey):
                let primitives = try privateKey.publicKey.getKeyPrimitives()
                key["kty"] = "RSA"
                key["n"] = .string(Base64URL.encode(Array(primitives.modulus)))
                key["e"] = .string(Base64URL.encode(Array(primitives.publicExponent)))
            case .ec(let privateKey):
                let point = Array(privateKey.publicKey.x963Representation)
                key["kty"] = "EC"
                key["crv"] = "P-256"
                key["x"] = .string(Base64URL.encode(Array(point[1..<33])))
                key["y"] = .string(Base64URL.encode(Array(point[33..<65])))
            }
            return FieldValue.object(["keys": [.object(key)]]).jsonText
        }
    }

    /// A signed token for a Cognito-style user: `sub`, `username` (and `cognito:username`),
    /// `cognito:groups`, `iss`, `aud`, `iat`, `exp` (an hour after `now` unless given), plus
    /// `extra` claims that override any of those.
    public func token(
        sub: String,
        username: String? = nil,
        groups: [String] = [],
        now: Date = Date(),
        expiresIn: TimeInterval = 3600,
        extra: [String: FieldValue] = [:]
    ) throws -> String {
        var claims: [String: FieldValue] = [
            "sub": .string(sub),
            "iss": .string(issuer),
            "aud": .string(audience),
            "iat": .int(Int(now.timeIntervalSince1970)),
            "exp": .int(Int(now.timeIntervalSince1970 + expiresIn)),
        ]
        if let username {
            claims["username"] = .string(username)
            claims["cognito:username"] = .string(username)
        }
        if !groups.isEmpty { claims["cognito:groups"] = .list(groups.map { .string($0) }) }
        for (name, value) in extra { claims[name] = value }
        return try sign(claims: claims)
    }

    /// A token with exactly `claims`, signed (or, with `header` given, with that header).
    public func sign(claims: [String: FieldValue], header: [String: FieldValue]? = nil) throws -> String {
        let header = header ?? ["alg": .string(algorithm.rawValue), "typ": "JWT", "kid": .string(keyID)]
        let input =
            Base64URL.encode(Array(FieldValue.object(header).jsonText.utf8)) + "."
            + Base64URL.encode(Array(FieldValue.object(claims).jsonText.utf8))
        let signature: [UInt8]
        switch signer {
        case .secret(let secret):
            signature = Array(
                HMAC<Crypto.SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
            )
        case .rsa(let key):
            signature = Array(try key.signature(for: Array(input.utf8), padding: .insecurePKCS1v1_5).rawRepresentation)
        case .ec(let key):
            signature = Array(try key.signature(for: Array(input.utf8)).rawRepresentation)
        }
        return input + "." + Base64URL.encode(signature)
    }

    /// `token`'s header and claims with `secret` as an HS256 key: what an attacker who knows a
    /// public key tries (algorithm confusion) when `secret` is that key's text.
    public static func hmacSigned(header: [String: FieldValue], claims: [String: FieldValue], secret: [UInt8]) -> String
    {
        let input =
            Base64URL.encode(Array(FieldValue.object(header).jsonText.utf8)) + "."
            + Base64URL.encode(Array(FieldValue.object(claims).jsonText.utf8))
        let mac = HMAC<Crypto.SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + Base64URL.encode(Array(mac))
    }
}
