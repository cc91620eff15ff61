import DataStore

/// The order in which a model's requests try credentials (Amplify's `multiAuth` strategy): the
/// rules that grant the operation, most specific first — owner, then groups, then private, then
/// public, and within each a user pool before OIDC before the rest — each rule's provider once,
/// among those the app has credentials for. Pure, so every rule set is tested without a backend.
enum AuthModes {
    static func order(
        _ rules: [ModelAuthRule],
        _ operation: ModelAuthRule.Operation,
        available: [ModelAuthRule.Provider],
        defaultMode: ModelAuthRule.Provider
    ) -> [ModelAuthRule.Provider] {
        guard !rules.isEmpty else { return [defaultMode] }
        let ranked = rules.filter { $0.grants(operation) }.sorted { left, right in
            (rank(left.strategy), rank(left.provider)) < (rank(right.strategy), rank(right.provider))
        }
        var modes: [ModelAuthRule.Provider] = []
        for rule in ranked where available.contains(rule.provider) && !modes.contains(rule.provider) {
            modes.append(rule.provider)
        }
        // No rule the app can satisfy: the default, and the backend's answer says why.
        return modes.isEmpty ? [defaultMode] : modes
    }

    private static func rank(_ strategy: ModelAuthRule.Strategy) -> Int {
        switch strategy {
        case .owner: 0
        case .groups: 1
        case .private: 2
        case .public: 3
        case .custom: 4
        }
    }

    private static func rank(_ provider: ModelAuthRule.Provider) -> Int {
        switch provider {
        case .userPools: 0
        case .oidc: 1
        case .function: 2
        case .iam: 3
        case .apiKey: 4
        }
    }
}
