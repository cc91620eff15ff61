/// The directives swift-datastore understands, with their arguments, and those it accepts but
/// ignores (they configure AWS resources, not local storage).
enum DirectiveCatalog {
    enum ArgumentKind {
        case string, stringList, bool, int, list, any

        var expectation: String {
            switch self {
            case .string: "a string"
            case .stringList: "a string or a list of strings"
            case .bool: "a Boolean"
            case .int: "an integer"
            case .list: "a list"
            case .any: "a value"
            }
        }

        func accepts(_ value: SDLValue) -> Bool {
            switch (self, value) {
            case (.any, _), (.string, .string), (.bool, .bool), (.int, .int), (.list, .list): true
            case (.stringList, _): value.stringList != nil
            default: false
            }
        }
    }

    enum Site { case type, field, enumValue }

    struct Spec {
        let arguments: [String: ArgumentKind]
        let required: Set<String>
        let sites: Set<Site>
        /// Accepted as AppSync syntax but without effect on models (noted in verbose output).
        let isIgnored: Bool

        init(
            _ arguments: [String: ArgumentKind] = [:],
            required: Set<String> = [],
            sites: Set<Site>,
            ignored: Bool = false
        ) {
            self.arguments = arguments
            self.required = required
            self.sites = sites
            isIgnored = ignored
        }
    }

    static let specs: [String: Spec] = [
        // Models, keys and indexes.
        "model": Spec(["queries": .any, "mutations": .any, "subscriptions": .any, "timestamps": .any], sites: [.type]),
        "primaryKey": Spec(["sortKeyFields": .stringList], sites: [.field]),
        "index": Spec(["name": .string, "sortKeyFields": .stringList, "queryField": .string], sites: [.field]),
        "key": Spec(
            ["name": .string, "fields": .stringList, "queryField": .string],
            required: ["fields"],
            sites: [.type]
        ),
        // Relations.
        "hasOne": Spec(["fields": .stringList, "references": .stringList], sites: [.field]),
        "hasMany": Spec(
            ["indexName": .string, "fields": .stringList, "limit": .int, "references": .stringList],
            sites: [.field]
        ),
        "belongsTo": Spec(["fields": .stringList, "references": .stringList], sites: [.field]),
        "manyToMany": Spec(["relationName": .string, "limit": .int], required: ["relationName"], sites: [.field]),
        "connection": Spec(
            [
                "name": .string, "keyName": .string, "fields": .stringList, "keyField": .string, "sortField": .string,
                "limit": .int,
            ],
            sites: [.field]
        ),
        // Values, names, authorization (kept for the server).
        "default": Spec(["value": .string], required: ["value"], sites: [.field]),
        "refersTo": Spec(["name": .string], required: ["name"], sites: [.type, .field]),
        "auth": Spec(["rules": .list], required: ["rules"], sites: [.type, .field]),
        "versioned": Spec(["versionField": .string, "versionInput": .string], sites: [.type]),
        "aws_api_key": Spec(sites: [.type, .field]),
        "aws_iam": Spec(sites: [.type, .field]),
        "aws_oidc": Spec(sites: [.type, .field]),
        "aws_lambda": Spec(sites: [.type, .field]),
        "aws_auth": Spec(["cognito_groups": .stringList], sites: [.type, .field]),
        "aws_cognito_user_pools": Spec(["cognito_groups": .stringList], sites: [.type, .field]),
        "aws_subscribe": Spec(["mutations": .stringList], sites: [.field]),
        "deprecated": Spec(["reason": .string], sites: [.field, .enumValue]),
        // Accepted and ignored: they configure AWS resources, not local storage.
        "searchable": Spec(sites: [.type], ignored: true),
        "function": Spec(sites: [.field], ignored: true),
        "http": Spec(sites: [.field], ignored: true),
        "predictions": Spec(sites: [.field], ignored: true),
        "assert": Spec(sites: [.type, .field], ignored: true),
        "ttl": Spec(sites: [.type, .field], ignored: true),
        "mapsTo": Spec(sites: [.type], ignored: true),
        "sql": Spec(sites: [.field], ignored: true),
        "conversation": Spec(sites: [.field], ignored: true),
        "generation": Spec(sites: [.field], ignored: true),
        "validate": Spec(sites: [.field], ignored: true),
        "aws_appsync_events": Spec(sites: [.type, .field], ignored: true),
    ]

    static var knownNames: String {
        specs.keys.sorted().map { "@\($0)" }.joined(separator: ", ")
    }
}
