import DataStore
import DataStoreSchema
import Testing

@testable import DataStoreServer

/// `@auth` rules against callers and operations: the pure decision the server enforces.
@Suite("Auth policy")
struct AuthPolicyTests {
    /// The policy of the model `name` in `sdl`.
    func policy(_ sdl: String, _ name: String = "Note") throws -> AuthPolicy {
        let model = try #require(try SchemaParser.parse(sdl).models.first { $0.schema.name == name })
        return AuthPolicy(modelName: name, rules: model.authRules)
    }

    static let alice = Caller(
        provider: .userPools,
        claims: ["sub": "a-1", "username": "alice", "cognito:groups": ["Editors"]]
    )
    static let bob = Caller(provider: .userPools, claims: ["sub": "b-2", "cognito:username": "bob"])
    static let admin = Caller(
        provider: .userPools,
        claims: ["sub": "c-3", "username": "carol", "cognito:groups": ["Admin"]]
    )
    static let oidcUser = Caller(provider: .oidc, claims: ["sub": "d-4", "username": "dave"])
    static let anonymousToken = Caller(provider: .userPools, claims: [:])

    @Test("owner, static groups, public and private rules, each operation, each caller")
    func matrix() throws {
        let notes = try policy(
            """
            type Note @model @auth(rules: [
              {allow: owner},
              {allow: groups, groups: ["Admin"]},
              {allow: public, operations: [read]},
              {allow: private, provider: oidc, operations: [get]}
            ]) { id: ID!, text: String }
            """
        )
        let aliceOwns = AuthDecision.allowedWhere([
            ItemCondition(field: "owner", values: ["a-1::alice", "a-1", "alice"], kind: .owner)
        ])
        let table: [(Caller, ModelOperation, AuthDecision)] = [
            // The owner rule: every operation, on the caller's own items.
            (Self.alice, .create, aliceOwns), (Self.alice, .update, aliceOwns), (Self.alice, .delete, aliceOwns),
            (Self.alice, .get, aliceOwns), (Self.alice, .sync, aliceOwns), (Self.alice, .listen, aliceOwns),
            // Cognito's own user name claim counts as the user name.
            (
                Self.bob, .list,
                .allowedWhere([ItemCondition(field: "owner", values: ["b-2::bob", "b-2", "bob"], kind: .owner)])
            ),
            // A static group: everything, on every item.
            (Self.admin, .delete, .allowed), (Self.admin, .sync, .allowed),
            // The API key: reads only.
            (.apiKey, .get, .allowed), (.apiKey, .list, .allowed), (.apiKey, .sync, .allowed),
            (.apiKey, .listen, .allowed),
            (.apiKey, .create, .refused("Not Authorized to access create on type Note")),
            (.apiKey, .update, .refused("Not Authorized to access update on type Note")),
            // An OIDC token: get only (the owner and group rules take user pool tokens).
            (Self.oidcUser, .get, .allowed),
            (Self.oidcUser, .list, .refused("Not Authorized to access list on type Note")),
            // A token without the claims an owner needs is no one's owner.
            (Self.anonymousToken, .get, .refused("Not Authorized to access get on type Note")),
        ]
        for (caller, operation, expected) in table {
            #expect(notes.decide(operation, for: caller) == expected, "\(caller.claims) \(operation)")
        }
    }

    @Test("owner fields, identity claims, dynamic groups and owner lists")
    func conditions() throws {
        let shared = try policy(
            """
            type Note @model @auth(rules: [
              {allow: owner, ownerField: "editors", identityClaim: "username", operations: [update, read]},
              {allow: groups, groupsField: "readers", operations: [read]},
              {allow: owner, identityClaim: "sub", operations: [create, delete]}
            ]) { id: ID!, editors: [String], readers: [String] }
            """
        )
        #expect(
            shared.decide(.update, for: Self.alice)
                == .allowedWhere([ItemCondition(field: "editors", values: ["alice"], kind: .owner)])
        )
        // Reads: as an editor, or as a member of a group the item lists.
        #expect(
            shared.decide(.get, for: Self.alice)
                == .allowedWhere([
                    ItemCondition(field: "editors", values: ["alice"], kind: .owner),
                    ItemCondition(field: "readers", values: ["Editors"], kind: .groups),
                ])
        )
        // No groups in the token: the group rule adds nothing.
        #expect(
            shared.decide(.list, for: Self.bob)
                == .allowedWhere([ItemCondition(field: "editors", values: ["bob"], kind: .owner)])
        )
        #expect(
            shared.decide(.create, for: Self.bob)
                == .allowedWhere([ItemCondition(field: "owner", values: ["b-2"], kind: .owner)])
        )
        // A custom group claim.
        var settings = AuthSettings()
        settings.groupClaim = "roles"
        let roles = AuthPolicy(
            modelName: "Note",
            rules: try policy("type Note @model @auth(rules: [{allow: groups, groups: [\"Admin\"]}]) { id: ID! }")
                .rules,
            settings: settings
        )
        #expect(roles.decide(.get, for: Self.admin) == .refused("Not Authorized to access get on type Note"))
        #expect(roles.decide(.get, for: Caller(provider: .userPools, claims: ["roles": ["Admin"]])) == .allowed)
    }

    @Test("v1 rules (queries and mutations), custom rules, and models without rules")
    func legacyAndDefaults() throws {
        let legacy = try policy(
            """
            type Note @model @auth(rules: [{allow: owner, queries: [get], mutations: [create]}, {allow: custom}]) {
              id: ID!
            }
            """
        )
        #expect(legacy.decide(.get, for: Self.alice) != .refused("Not Authorized to access get on type Note"))
        #expect(legacy.decide(.list, for: Self.alice) == .refused("Not Authorized to access list on type Note"))
        // A Lambda authorizer is not offered: a function caller gets nothing from `custom`.
        #expect(
            legacy.decide(.get, for: Caller(provider: .function, claims: ["sub": "x"]))
                == .refused("Not Authorized to access get on type Note")
        )
        let open = try policy("type Note @model { id: ID! }")
        for operation in ModelOperation.allCases {
            #expect(open.decide(operation, for: .apiKey) == .allowed)
            #expect(open.decide(operation, for: Self.bob) == .allowed)
        }
    }
}
