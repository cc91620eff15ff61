import DataStore

/// AppSync's AUTOMERGE (PROTOCOL §4.2), as pure functions of the server's and the incoming values.
enum AutoMerge {
    /// AppSync's AUTOMERGE (PROTOCOL §4.2): the server keeps its scalar values; values it lacks
    /// (or holds as null) come from the incoming write; lists concatenate; objects merge member by
    /// member.
    static func merge(server: [String: FieldValue], incoming: [String: FieldValue]) -> [String: FieldValue] {
        var merged = server
        for (name, value) in incoming {
            merged[name] = merge(server[name] ?? .null, value)
        }
        return merged
    }

    private static func merge(_ server: FieldValue, _ incoming: FieldValue) -> FieldValue {
        switch (server, incoming) {
        case (.null, _): incoming
        case (_, .null): server
        case (.list(let kept), .list(let added)): .list(kept + added)
        case (.object(let kept), .object(let added)): .object(merge(server: kept, incoming: added))
        default: server
        }
    }
}
