/// One `@auth` rule of a model, as its schema declares it: what a synced store needs to choose
/// the credentials of each request (Amplify's multi-auth) and to name owners in subscriptions.
/// The backend enforces the rules; the client only follows them.
public struct ModelAuthRule: Hashable, Sendable {
    /// Whom the rule admits.
    public enum Strategy: String, Hashable, Sendable {
        /// The items' owners (`ownerField` holds their identity).
        case owner
        /// Members of groups (static `groups`, or a `groupsField` on each item).
        case groups
        /// Any signed-in user.
        case `private`
        /// Anyone with the app's API key.
        case `public`
        /// A Lambda authorizer.
        case custom
    }

    /// How a caller proves who it is.
    public enum Provider: String, Hashable, Sendable {
        /// An API key.
        case apiKey
        /// A user pool's token (Cognito's, or one configured like it).
        case userPools
        /// An OpenID Connect provider's token.
        case oidc
        /// AWS SigV4.
        case iam
        /// A Lambda authorizer's token.
        case function
    }

    /// An operation a rule may grant.
    public enum Operation: String, Hashable, Sendable {
        case create, update, delete, read, get, list, sync, listen, search
    }

    /// Whom the rule admits.
    public let strategy: Strategy
    /// The provider its callers use (the rule's, or the transformer's default for its strategy).
    public let provider: Provider
    /// The field holding the owners (owner rules; `owner` unless the rule names another).
    public let ownerField: String?
    /// The token claim that identifies an owner, when the rule names one.
    public let identityClaim: String?
    /// The token claim that lists the caller's groups, when the rule names one.
    public let groupClaim: String?
    /// The groups a static groups rule admits.
    public let groups: [String]
    /// The field naming the groups admitted to each item (dynamic groups rules).
    public let groupsField: String?
    /// The operations the rule grants; nil grants all.
    public let operations: [Operation]?

    /// A rule; `provider` defaults to the transformer's default for `strategy` (`apiKey` for
    /// public rules, `function` for custom ones, `userPools` for the rest), `ownerField` of an
    /// owner rule to `owner`.
    public init(
        strategy: Strategy,
        provider: Provider? = nil,
        ownerField: String? = nil,
        identityClaim: String? = nil,
        groupClaim: String? = nil,
        groups: [String] = [],
        groupsField: String? = nil,
        operations: [Operation]? = nil
    ) {
        self.strategy = strategy
        self.provider =
            provider
            ?? {
                switch strategy {
                case .public: .apiKey
                case .custom: .function
                default: .userPools
                }
            }()
        self.ownerField = strategy == .owner ? ownerField ?? "owner" : ownerField
        self.identityClaim = identityClaim
        self.groupClaim = groupClaim
        self.groups = groups
        self.groupsField = groupsField
        self.operations = operations
    }

    /// Whether the rule grants `operation` (`read` grants get, list, sync, listen and search).
    public func grants(_ operation: Operation) -> Bool {
        guard let operations else { return true }
        if operations.contains(operation) { return true }
        switch operation {
        case .get, .list, .sync, .listen, .search: return operations.contains(.read)
        default: return false
        }
    }
}
