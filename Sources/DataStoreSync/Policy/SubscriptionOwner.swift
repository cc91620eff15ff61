import DataStore
import DataStoreAppSync

/// The claims of a JWT, read without checking its signature: the client only needs them to name
/// its own identity in subscriptions; the backend verifies the token.
enum TokenClaims {
    /// The token's claims, or nil when it is not a JWT.
    static func of(_ token: String) -> [String: FieldValue]? {
        var text = Substring(token)
        if text.lowercased().hasPrefix("bearer ") { text = text.dropFirst("bearer ".count) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = Base64URL.decode(parts[1]),
            case .object(let claims)? = try? FieldValue(jsonText: String(decoding: bytes, as: UTF8.self))
        else { return nil }
        return claims
    }

    /// The first text of `claim` (see `IdentityClaims`).
    static func value(_ claims: [String: FieldValue], _ claim: String) -> String? {
        IdentityClaims.values(of: claim, in: claims).first
    }
}

/// Whether a model's subscriptions carry an owner argument (`onCreatePost(owner: …)`), and
/// which: only when the one rule that lets this kind of caller listen is an owner rule. With
/// other rules (a group, private, another owner field) the caller may read more than its own
/// items, and the backend's runtime filter, which adds them up, is what it needs. Pure.
enum SubscriptionOwner {
    static func argument(
        _ rules: [ModelAuthRule],
        mode: ModelAuthRule.Provider,
        claims: [String: FieldValue]?,
        defaultClaim: String
    ) -> (field: String, value: String)? {
        guard mode == .userPools || mode == .oidc, let claims else { return nil }
        let listening = rules.filter { $0.grants(.listen) && $0.provider == mode }
        guard listening.count == 1, let rule = listening.first, rule.strategy == .owner, let field = rule.ownerField,
            let value = TokenClaims.value(claims, rule.identityClaim ?? defaultClaim)
        else { return nil }
        return (field, value)
    }
}
