import DataStore
import DataStoreAppSync
import Testing

@Suite("Identity claims")
struct IdentityClaimsTests {
    @Test("sub::username composites, the cognito:username fallback, lists, numbers, empty texts")
    func values() {
        let access: [String: FieldValue] = [
            "sub": "a-1", "username": "alice", "cognito:groups": ["Admin", "", "Editors"],
        ]
        let id: [String: FieldValue] = ["sub": "a-1", "cognito:username": "alice", "custom:tenant": 42, "email": ""]
        let table: [([String: FieldValue], String, [String])] = [
            (access, "sub::username", ["a-1::alice"]),
            (id, "sub::username", ["a-1::alice"]),
            (id, "username", ["alice"]),
            (access, "cognito:groups", ["Admin", "Editors"]),
            (id, "custom:tenant", ["42"]),
            (id, "email", []),
            (["username": "bob"], "sub::username", []),
            (access, "missing", []),
        ]
        for (claims, claim, expected) in table {
            #expect(IdentityClaims.values(of: claim, in: claims) == expected, "\(claim)")
        }
    }
}
