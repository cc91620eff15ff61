public import DataStore
public import DataStoreAppSync
public import DataStoreSchema

/// Who is calling, as the server's identity providers established it (PROTOCOL §5).
public struct Caller: Hashable, Sendable {
    /// How the caller proved who it is: the providers `@auth` rules name (`apiKey`, `userPools`,
    /// `oidc`; `iam` and `function` are not offered by this server, but rules may name them).
    public typealias Provider = ModelAuthRule.Provider

    /// The provider that vouched for the caller.
    public let provider: Provider
    /// The verified token's claims (token providers); empty for API keys.
    public let claims: [String: FieldValue]

    /// A caller vouched for by `provider`, with the claims of its verified token.
    public init(provider: Provider, claims: [String: FieldValue] = [:]) {
        self.provider = provider
        self.claims = claims
    }

    /// A caller with a valid API key.
    public static let apiKey = Caller(provider: .apiKey)

    /// When the caller's token expires (its `exp`), in milliseconds since 1970; nil for API keys.
    public var expiresAt: Int64? {
        switch claims["exp"] {
        case .int(let seconds)?: Int64(seconds).multipliedReportingOverflow(by: 1000).partialValue
        case .double(let seconds)? where seconds.isFinite && abs(seconds) < 1e15: Int64(seconds * 1000)
        default: nil
        }
    }

    /// The texts of `claim` in the caller's token (see `IdentityClaims.values(of:in:)` in DataStoreAppSync).
    public func values(of claim: String) -> [String] {
        IdentityClaims.values(of: claim, in: claims)
    }

    /// Every identity an owner field may hold for this caller: the claim's value first (what a
    /// create stores), then, for `sub::username`, the `sub` and the user name on their own (items
    /// written before the composite became the default).
    public func ownerValues(claim: String) -> [String] {
        var values = self.values(of: claim)
        if claim == "sub::username", !values.isEmpty {
            values += self.values(of: "sub") + self.values(of: "username")
        }
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }
}

/// What a request does to a model's items, as `@auth` rules name it.
public enum ModelOperation: String, CaseIterable, Hashable, Sendable {
    /// `createX`.
    case create
    /// `updateX`.
    case update
    /// `deleteX`.
    case delete
    /// `getX`, and relation fields that read one item.
    case get
    /// `listX`, key queries, and relation fields that read many.
    case list
    /// `syncX`, base and delta, tombstones included.
    case sync
    /// `onCreateX`, `onUpdateX`, `onDeleteX`.
    case listen
    /// `searchX` (not offered by this server; rules may name it).
    case search

    /// The names in a rule's `operations` that grant it (`read` is get, list, sync, listen and
    /// search; v1's `queries: [get, list]` and `mutations: [...]` use the same words).
    var grantingNames: Set<String> {
        switch self {
        case .create, .update, .delete: [rawValue]
        case .get, .list, .sync, .listen, .search: [rawValue, "read"]
        }
    }
}

/// One condition on an item that lets a caller at it: `field` holds one of `values` (equals it,
/// or contains it when the field is a list).
public struct ItemCondition: Hashable, Sendable {
    /// Which kind of rule the condition comes from.
    public enum Kind: Hashable, Sendable {
        /// An owner rule: `field` names the item's owners; a create fills it with the caller.
        case owner
        /// A dynamic groups rule: `field` names the groups that may at the item.
        case groups
    }

    /// The item's field (an owner field, or a dynamic group field).
    public let field: String
    /// The caller's identities or groups.
    public let values: [String]
    /// The kind of rule.
    public let kind: Kind

    /// A condition of `kind` on `field`.
    public init(field: String, values: [String], kind: Kind) {
        self.field = field
        self.values = values
        self.kind = kind
    }

    /// Whether the item whose stored fields are `fields` meets the condition.
    public func holds(for fields: [String: FieldValue]) -> Bool {
        switch fields[field] {
        case .string(let text)?: return values.contains(text)
        case .list(let items)?:
            return items.contains { item in
                if case .string(let text) = item { values.contains(text) } else { false }
            }
        default: return false
        }
    }
}

/// The items a caller may touch with one operation.
public enum ItemAccess: Hashable, Sendable {
    /// Every item.
    case all
    /// The items for which one of the conditions holds.
    case matching([ItemCondition])
    /// The items for which every condition holds (a subscription's owner arguments).
    case matchingEvery([ItemCondition])

    /// Whether the item whose stored fields are `fields` is within reach.
    public func permits(_ fields: [String: FieldValue]) -> Bool {
        switch self {
        case .all: true
        case .matching(let conditions): conditions.contains { $0.holds(for: fields) }
        case .matchingEvery(let conditions): conditions.allSatisfy { $0.holds(for: fields) }
        }
    }
}

/// What the rules allow a caller to do.
public enum AuthDecision: Hashable, Sendable {
    /// Allowed on every item.
    case allowed
    /// Allowed on the items for which one of these conditions holds (owner and dynamic group
    /// rules); a create must write an item for which one holds.
    case allowedWhere([ItemCondition])
    /// Refused; the text says why, for the error a client sees.
    case refused(String)
}

/// Defaults for rules that name no claims.
public struct AuthSettings: Hashable, Sendable {
    /// The token claim that identifies an owner (`sub::username`, as the v2 transformer's
    /// default; `username`, `sub` or `cognito:username` for older schemas).
    public var identityClaim = "sub::username"
    /// The token claim that lists the caller's groups.
    public var groupClaim = "cognito:groups"

    /// The defaults above.
    public init() {}
}

/// A model's `@auth` rules, deciding each operation for each caller: pure, so that every rule,
/// caller and operation is tested without a server.
///
/// Rules add up: the first rule that grants the operation to the caller outright allows it;
/// owner and dynamic-group rules grant it on some items, and their conditions add up. A model
/// without rules is open to every authenticated caller (the API's default mode).
public struct AuthPolicy: Hashable, Sendable {
    /// The model's name, for messages.
    public let modelName: String
    /// The rules, as the schema declares them.
    public let rules: [AuthRule]
    /// The claims rules use when they name none.
    public let settings: AuthSettings
    /// The field whose own rules these are (field-level `@auth`); nil for a model's rules.
    public let fieldName: String?

    /// The policy of `rules` on the model `modelName` (or on its field `fieldName`).
    public init(modelName: String, rules: [AuthRule], settings: AuthSettings = AuthSettings(), fieldName: String? = nil)
    {
        self.modelName = modelName
        self.rules = rules
        self.settings = settings
        self.fieldName = fieldName
    }

    /// The provider a rule accepts: the one it names, else the transformer's default for its kind.
    static func provider(of rule: AuthRule) -> Caller.Provider? {
        if let named = rule.provider { return Caller.Provider(rawValue: named) }
        switch rule.allow {
        case "public": return .apiKey
        case "custom": return .function
        default: return .userPools
        }
    }

    /// The owner fields a create by `caller` fills when its input leaves them empty, with the
    /// identity each stores: every owner rule that grants create to the caller's provider, also
    /// when another rule (a group's) allows the create outright.
    public func ownerFills(for caller: Caller) -> [ItemCondition] {
        var fills: [ItemCondition] = []
        for rule in rules where rule.allow == "owner" && Self.provider(of: rule) == caller.provider {
            if let operations = rule.operations, !operations.contains("create") { continue }
            let identities = caller.ownerValues(claim: rule.identityClaim ?? settings.identityClaim)
            if !identities.isEmpty {
                fills.append(ItemCondition(field: rule.ownerField ?? "owner", values: identities, kind: .owner))
            }
        }
        return fills
    }

    /// Decides `operation` for `caller`.
    public func decide(_ operation: ModelOperation, for caller: Caller) -> AuthDecision {
        guard !rules.isEmpty else { return .allowed }
        var conditions: [ItemCondition] = []
        for rule in rules {
            if let operations = rule.operations, operations.allSatisfy({ !operation.grantingNames.contains($0) }) {
                continue
            }
            // A rule whose provider is named loosely ("userPools" for any token provider) would
            // let a token from another issuer through: providers must match exactly.
            guard Self.provider(of: rule) == caller.provider else { continue }
            switch rule.allow {
            case "public", "private":
                return .allowed
            case "groups":
                let groups = caller.values(of: rule.groupClaim ?? settings.groupClaim)
                if !rule.groups.isEmpty, !Set(rule.groups).isDisjoint(with: groups) { return .allowed }
                if let field = rule.groupsField, !groups.isEmpty {
                    conditions.append(ItemCondition(field: field, values: groups, kind: .groups))
                }
            case "owner":
                let identities = caller.ownerValues(claim: rule.identityClaim ?? settings.identityClaim)
                if !identities.isEmpty {
                    conditions.append(
                        ItemCondition(field: rule.ownerField ?? "owner", values: identities, kind: .owner)
                    )
                }
            default:
                // `custom` (a Lambda authorizer) is not offered by this server: it grants nothing.
                continue
            }
        }
        if !conditions.isEmpty { return .allowedWhere(conditions) }
        if let fieldName {
            return .refused("Not Authorized to access \(operation.rawValue) on field \(fieldName) of type \(modelName)")
        }
        return .refused("Not Authorized to access \(operation.rawValue) on type \(modelName)")
    }
}

extension AuthDecision {
    /// The items the decision reaches, or the refusal as the error a client sees
    /// (`Unauthorized`, as AppSync's resolvers answer).
    public func access() throws(AppSyncError) -> ItemAccess {
        switch self {
        case .allowed: return .all
        case .allowedWhere(let conditions): return .matching(conditions)
        case .refused(let message): throw AppSyncError(.notAuthorized, message)
        }
    }
}
