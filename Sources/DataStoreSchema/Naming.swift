/// Names as the Amplify transformer and Swift need them.
public enum Naming {
    /// The transformer's camel case: the first word with its first letter lowercased, then each
    /// other word with its first letter uppercased (`["Post", "comments", "id"]` → `postCommentsId`).
    public static func camelCase(_ words: [String]) -> String {
        var result = ""
        for (index, word) in words.enumerated() {
            guard let first = word.first else { continue }
            result += (index == 0 ? first.lowercased() : first.uppercased()) + word.dropFirst()
        }
        return result
    }

    /// The word with its first letter uppercased.
    public static func upperFirst(_ word: String) -> String {
        guard let first = word.first else { return word }
        return first.uppercased() + word.dropFirst()
    }

    /// The word with its first letter lowercased.
    public static func lowerFirst(_ word: String) -> String {
        guard let first = word.first else { return word }
        return first.lowercased() + word.dropFirst()
    }

    /// The Swift case name of a GraphQL enum value: `ACTIVE` → `active`, `IN_PROGRESS` →
    /// `inProgress`, `inProgress` → `inProgress`.
    public static func enumCaseName(_ value: String) -> String {
        let parts = value.split(separator: "_", omittingEmptySubsequences: true).map(String.init)
        guard !parts.isEmpty else { return value }
        let isScreaming = value.uppercased() == value
        var words = parts
        if isScreaming { words = parts.map { $0.lowercased() } }
        var name = lowerFirst(words[0])
        for word in words.dropFirst() { name += upperFirst(word) }
        // A leading underscore is part of the GraphQL name; keep it.
        if value.hasPrefix("_") { name = "_" + name }
        return name
    }

    /// Swift keywords that cannot be used as identifiers without backticks.
    public static let swiftKeywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
        "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch",
        "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true",
        "try", "Type", "Protocol", "some", "any", "consume", "copy", "discard", "borrowing", "consuming",
    ]

    /// Property names the generated code gives models and non-model types; fields may not take them.
    public static let generatedInstanceMembers: Set<String> = [
        "fieldValues", "fieldValue", "relationContext", "_relations",
    ]

    /// Static member names of generated models; relation fields (which become static relation
    /// paths) may not take them.
    public static let generatedStaticMembers: Set<String> = ["schema", "fieldName"]

    /// Type names a generated type may not take: Swift keywords, and the names the generated code
    /// itself uses.
    public static let reservedTypeNames: Set<String> = swiftKeywords.union([
        "String", "Int", "Double", "Bool", "Array", "Dictionary", "Optional", "Set", "Error", "Never", "Void",
        "Model", "ModelSchema", "ModelField", "ModelIndex", "ModelRelation", "FieldValue", "FieldValues",
        "FieldValueError", "FieldValueConvertible", "ModelEnum", "EmbeddedModel", "EnumType", "EmbeddedType",
        "Temporal", "DataStore", "QueryPredicate", "ModelRegistry", "Foundation", "UUID", "Date", "URL", "Data",
    ])
}
