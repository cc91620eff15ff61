public import DataStore

/// How `@auth` rules read a token's claims (PROTOCOL §5), the same on the client (which names its
/// user in subscriptions) and the server (which enforces the rules).
public enum IdentityClaims {
    /// The texts of `claim` in `claims`: `sub::username` is the composite the v2 transformer
    /// stores (`"<sub>::<username>"`); `username` falls back to Cognito's `cognito:username` (ID
    /// tokens carry that one, access tokens the other); a list claim gives each of its texts; a
    /// number its digits; an empty text nothing.
    public static func values(of claim: String, in claims: [String: FieldValue]) -> [String] {
        if claim == "sub::username" {
            guard let sub = values(of: "sub", in: claims).first, let name = values(of: "username", in: claims).first
            else { return [] }
            return ["\(sub)::\(name)"]
        }
        if claim == "username", claims["username"] == nil { return values(of: "cognito:username", in: claims) }
        switch claims[claim] {
        case .string(let text)?: return text.isEmpty ? [] : [text]
        case .list(let items)?:
            return items.compactMap { if case .string(let text) = $0, !text.isEmpty { text } else { nil } }
        case .int(let number)?: return [String(number)]
        default: return []
        }
    }
}
