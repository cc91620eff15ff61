import DataStore
import DataStoreAppSync
import Foundation
import Testing

@testable import DataStoreSync

/// The pure parts of a synced store's auth: which credentials each model's requests try, in
/// which order, and when a subscription names its owner.
@Suite("Auth modes and owner arguments")
struct AuthModeTests {
    typealias Rule = ModelAuthRule

    @Test(
        "multi-auth order: owner, then groups, then private, then public; only what the app has; the default otherwise"
    )
    func order() {
        let owner = Rule(strategy: .owner)
        let admins = Rule(strategy: .groups, groups: ["Admin"])
        let privateOIDC = Rule(strategy: .private, provider: .oidc)
        let publicRead = Rule(strategy: .public, operations: [.read])
        let all: [Rule.Provider] = [.userPools, .oidc, .apiKey]
        let table: [([Rule], Rule.Operation, [Rule.Provider], [Rule.Provider])] = [
            ([publicRead, privateOIDC, admins, owner], .sync, all, [.userPools, .oidc, .apiKey]),
            ([publicRead, privateOIDC, admins, owner], .create, all, [.userPools, .oidc]),
            // Signed out: only the key, and only where a rule takes it.
            ([publicRead, owner], .list, [.apiKey], [.apiKey]),
            // No rule takes what the app has: the default, and the backend's refusal says why.
            ([publicRead, owner], .update, [.apiKey], [.userPools]),
            // OIDC before the key within the rules' order, each provider once.
            ([publicRead, privateOIDC, Rule(strategy: .owner, provider: .oidc)], .listen, all, [.oidc, .apiKey]),
            // No rules: the default.
            ([], .sync, all, [.userPools]),
            // IAM and Lambda rules grant nothing this client can send: the default.
            ([Rule(strategy: .private, provider: .iam), Rule(strategy: .custom)], .sync, all, [.userPools]),
        ]
        for (rules, operation, available, expected) in table {
            #expect(
                AuthModes.order(rules, operation, available: available, defaultMode: .userPools) == expected,
                "\(rules.map(\.strategy)) \(operation) \(available)"
            )
        }
        // One kind of credentials: every request uses it, whatever the rules.
        #expect(SyncAuthorization.apiKey("k").modes(for: [owner], .sync) == [.apiKey])
        #expect(
            SyncAuthorization.multiAuth(apiKey: "k", userPools: { "t" }).modes(for: [publicRead], .sync) == [.apiKey]
        )
        #expect(SyncAuthorization.multiAuth(apiKey: "k", userPools: { "t" }).defaultMode == .userPools)
    }

    static func token(_ claims: [String: FieldValue]) -> String {
        "e30." + Base64URL.encode(Array(FieldValue.object(claims).jsonText.utf8)) + ".c2ln"
    }

    @Test("owner arguments: only when an owner rule alone lets this kind of caller listen, with the rule's claim")
    func ownerArguments() {
        let claims: [String: FieldValue] = ["sub": "a-1", "cognito:username": "alice", "email": "a@example.com"]
        #expect(TokenClaims.of(Self.token(claims)) == claims)
        #expect(TokenClaims.of("Bearer " + Self.token(claims)) == claims)
        #expect(TokenClaims.of("not a token") == nil)
        #expect(TokenClaims.value(claims, "sub::username") == "a-1::alice")
        #expect(TokenClaims.value(claims, "username") == "alice")
        #expect(TokenClaims.value(claims, "groups") == nil)
        func argument(_ rules: [Rule], _ mode: Rule.Provider = .userPools) -> String? {
            SubscriptionOwner.argument(rules, mode: mode, claims: claims, defaultClaim: "sub::username")
                .map { "\($0.field)=\($0.value)" }
        }
        #expect(argument([Rule(strategy: .owner)]) == "owner=a-1::alice")
        #expect(
            argument([Rule(strategy: .owner, ownerField: "author", identityClaim: "email")]) == "author=a@example.com"
        )
        // A group or a second owner field may let the caller read more: no argument, the
        // backend's runtime filter adds them up.
        #expect(argument([Rule(strategy: .owner), Rule(strategy: .groups, groups: ["Admin"])]) == nil)
        #expect(argument([Rule(strategy: .owner), Rule(strategy: .owner, ownerField: "editors")]) == nil)
        // Rules of other providers, or not granting listen, do not count.
        #expect(argument([Rule(strategy: .owner), Rule(strategy: .public)]) == "owner=a-1::alice")
        #expect(
            argument([Rule(strategy: .owner), Rule(strategy: .private, operations: [.create])]) == "owner=a-1::alice"
        )
        #expect(argument([Rule(strategy: .owner)], .apiKey) == nil)
        #expect(argument([Rule(strategy: .owner, operations: [.create])]) == nil)
    }

    @Test("subscription documents carry the owner argument when given")
    func ownerDocument() throws {
        let schema = ModelSchema(
            name: "Note",
            fields: [.required("id", .id), .required("text", .string), .optional("owner", .string)],
            authRules: [Rule(strategy: .owner)]
        )
        let documents = ModelDocuments(schema: schema)
        let plain = try #require(documents.subscriptionRequest(.created))
        #expect(!plain.query.contains("$owner"))
        let owned = try #require(documents.subscriptionRequest(.created, owner: ("owner", "a-1::alice")))
        #expect(
            owned.query.contains(
                "subscription OnCreateNote($filter: ModelSubscriptionNoteFilterInput, $owner: String) {"
            )
        )
        #expect(owned.query.contains("onCreateNote(filter: $filter, owner: $owner)"))
        #expect(owned.variables == ["owner": "a-1::alice"])
    }
}
