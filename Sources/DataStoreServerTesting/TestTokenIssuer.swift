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

    /// A new issuer: a fresh secret (HS256) or P-256 key (ES256); for RS256 one of the fixed test
    /// keys, `rsaKey` (0 or 1; two issuers that must not trust each other take different ones).
    /// Making an RSA key takes seconds under ThreadSanitizer, and a test that makes several starves
    /// its neighbours; these keys sign nothing but tests.
    public init(
        algorithm: Algorithm = .hs256,
        issuer: String = "https://issuer.test",
        audience: String = "test-client",
        rsaKey: Int = 0
    ) throws {
        self.issuer = issuer
        self.audience = audience
        self.algorithm = algorithm
        keyID = "key-" + UUID().uuidString.prefix(8).lowercased()
        switch algorithm {
        case .hs256: signer = .secret(Array(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
        case .rs256:
            signer = .rsa(
                try _RSA.Signing.PrivateKey(pemRepresentation: Self.rsaKeys[abs(rsaKey) % Self.rsaKeys.count])
            )
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

    /// Two RSA-2048 keys made once with `openssl genrsa 2048`, for tests only.
    static let rsaKeys = [
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDqgLVDYtT2BYDP
        kKl6TUbdVzfO6ofpbuWzw7PXGAPSAaAxpzz1XApGTXDBHWxlqA0SonJY0flJx12S
        nrvBqYPUobZPpnvAr0fXzYccywaNWTL/+KRarl/AqC7z6FpKh9wWTgx98LwkS/+j
        1JoV4bcv3hLbc1x/bR2MGcWnhkFMZJ0qMrAE93z4TmKx+EiI0oUg72x9SAiU0Tkl
        qE35sT10ssXm1n/xAjatlmp2QnqKs7+vuzvxWqwm5YG8wHQdaETTgkVCtCH4ikN4
        PViKtsfE+WuAPu0Omw5rwJWrYNSaWig8PfKLcRonHJGiKmpIZWb4X++IihybCrwc
        GxByswO5AgMBAAECggEAWlAnf0RY8Ec+TLJSEyAf4q7sd2wr2+Mx5AHDCVveXMrz
        fywBdh10d47rlfRXAu+t2TdnAn4bnCaECyvG89btRr7hD9v2XUckTCCDoLswUs+/
        rIV+Bs6RYgljy9v4qiuYv55fgUFttCzwz4/ZqAO+IVlNuea8APdtIb/rN5GlJF3+
        p2Dr9ICHtx17CGjyfuDldafNUIJUgjD7dPfuRjggkVKr5Hxy3p74GOFgY5lnD/5X
        8UKlT2yQdtHBNSUbMPi39gN7PRBmfZ9AI1bZLU+yhRQMA5Vx9WecNhXUSn4hJTQZ
        /+4LLK8ggOZkLsGSjxFejb7g5OH6TFlfBbzOQmck4QKBgQD/MsUnFGTzJ1ZJT/G/
        C+LPUW97GY4UG0Uy6wti/A/3y6B/U1cRConaKlUCyhFSKYPC66FVOW028B/Dv6ie
        ILvEQmJ/ODzHgIM3wOOg4cG1UGnGvVACr9OfSSMf+vpF0etxiPCG60O8ppb0p+zJ
        JpfO17ulgqmLv1qrkHQy+mpCPwKBgQDrPUtr/56BI0ZMHhHyz5WuR3Q6fpZyCQeg
        QWT6lq2eK6z1cZPOX0VBacMi+hG6qaw3B4DNdm1/4+eoqOLEJ80ciGg4SC16nurA
        EQWHQfr/QfGR2/21Rmu6dR1lIg3+95p0721wjDFzaOvMot/l7uNIdLrcM3MIo6nI
        VspIgL/MBwKBgH4HJ6AGDVibi5xG878Ccq8pq2FinGzHjuP3ebcXfhdEo21dzfin
        eK6aC0OGYQlvYReo4BLDenEQIs+73dzBk5j3o8bqEfIAQE0PYBq6grw1CxfPtCyv
        glX+e282tdQ3OAvoscgfdWM77f7C00f/XCcVGSFCptJR3MgvXYMzcbhnAoGBALCU
        y0ffkvDnNL6wl9KHppkzQ/kgyvgA9TuDuzQr5Vnk+SkpP8VbWJZYuMVJqANRmFea
        h0I0EtA8mMnPNKIAKoSvlGQjMhhosFjKrjaw/aOcsaRG2fS4TuehQBaJcK4i2UvL
        6n/gjMJQUSjEXoOwReY+0YG4ETK8ABfFpoS0OMUDAoGAAPnwtnPIQSbRaQQYtJ2o
        YvFcwnex0rG3JgaEvHFFf41MG7q/vVCILR/PHr+IJ1DrmBHMFW9knrnjblrHTSzm
        aOTWbLI/K8Rw/vEt4k7b91c9aQ44YXsxZq38k5MIul67E+BbTZkJ71bdx+1p7PWy
        AN0Tz+z2ecS43athY2+xgAo=
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDN/sPw2sbryYpm
        TKz6Wx8BCYe72ZAYrQUTI2fzIinj0UCvoizZ1x8hjQBYkhaBegRB+AQhqA9p60+n
        TBdX1+RW+HLXY73h9bkaxD8c8pA/YuFZ5uR38Hbqpnr7OC7MwLI4xJ48npL7oe8y
        /7mg2twccOaLfXv+HRC40yPhHJLK26ypVq7N23/6u/gYSC9Ksm4qLkSegEgtbX5I
        063F2FJh6n3Qx6XEFAj3FKL677U9JWgItbCkPd4Ps/xMo7eYoO2cl3Fs4dNjeK46
        hpKGLc5A5wmw+hfEJWgR8t4l/bHJnJ6vpz+Mo65toAzkrz+kPIOZkURVyi77C6JB
        6xAXTXZtAgMBAAECggEADXFQbpWMUSNCD5p12FGddJcfXzQbqeySjfTryetDEg2b
        +8ooxJ979dfKe70u0Ey63eY2OM8LkHUtacS2qkIZsc49Sk6FO+tp5LQFTVmL7cMB
        YzlE1AnibL4n/OBl93EkwD0eeWS8wUSIREr5XWSi5A0/Ej/CWWsipfkLWJuhfbDZ
        q/b5Zx2PSkBdIOFc7XSEz6pxIsElW7/ZUAgU8l736d9bfpR949QUstH5AAOvnWUZ
        cbReH2Lw1ftLQQc/lPuSCZJYj/CQcpBA+Us6qTVfym+0jP/wgAi4kbY6QlJ+DCkR
        IAkahq1hZOzhgnvx6JMrdubXf3SB1hMWMCAS5HD04QKBgQD0iJddX/ltH3EtsImP
        cbySSuEaNvIZllzbm8aJFk7z9Tie16pbdoEK3wf5ufDJUT1wQI7xiyKIOvu6wC5+
        bIWXP0k9Ncjll92m1uMxh+wVesGSHHY0TxVPg4jNq3PJ0dwh0PW+ts41rW8dxZtu
        bw7Rzchmxl6t9j6jO5wmxppEDQKBgQDXp44T0ICVsFHJTFhK8vUI63PYnGxuE4sa
        MNI+aagmJvGCMjSP4mYzqIXTWaV4X+3X+pBB6y0wktpFgo0ZrEE6A1CuGZwGnTAt
        3EVb2V3mdRkfPyCodAwIyaBnF0sMKHhL1vFmCCK3ABLb6jXHRSBIqkpYcm7iLeIg
        IPHQujmD4QKBgHj/DUaasqSYJjxhWe+sa45HltKN1YVrrU7M6ZPzgeWctQOD2zue
        i4OBkES1CLvUgv4EM7a5DcEyzlQ9u8O6lu+b1PWAo4NXfcmMEqbzhpGqSBWwF50S
        dIz/nLWH3KdEPBRPfQl9EtPkmVK18I7YTRDrLfoMtdSGP8AtQrq9EqARAoGASk0c
        ko8f/nMFesmnEguriSs2esdKRJLPNnLjvUVB/gMk6qrJmVlzxRCnKy6T6GmE1Qkr
        csrIgxfVxGU6oEHNJ2PFBHcmXtEBrItcCk1WIPTvduiVI/T3wH9XmK1Z2hKHf/nK
        qlDbRRntZX/Ij6Otf9vMSbUDp0IPyuoO5s+CyYECgYEAsezqfAZiTkhnM0BeYOqz
        y5pQtA36Aj8AbSP/Pl7CmAaTuT2acsD6Q5mfG3Leef9/d5xIiZP3OXhDVpH+mV1U
        ceinPnnXA/N/m53KI3WtpOdyx4hWwRkW7A4Ohegp1GtmrIhDnQJH1dw6Y4HIlgfC
        qE48lhTkDevwyZl5/t3Fy7k=
        -----END PRIVATE KEY-----
        """,
    ]
}
