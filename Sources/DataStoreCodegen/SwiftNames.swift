import DataStore
public import DataStoreSchema

/// How the names of a GraphQL schema are spelled in generated Swift.
///
/// A schema's names belong to GraphQL: the wire, the store's columns and the server keep them as
/// written. Swift's rules apply only to the generated code, deterministically:
///
/// 1. A Swift keyword is written in backticks: a field `class` is the property `` `class` ``, its
///    key path `` \.`class` ``.
/// 2. A name that backticks do not make usable everywhere the generated code uses it (`self`,
///    `Type`, `Protocol`), or that the generated code declares itself (a field `fieldValues`, an
///    enum value `allCases`, a type `Model` or `String`), gets a trailing underscore: `self_`,
///    `Type_`, `Model_`; another while the result is still taken by a name of the same scope.
/// 3. Enum values become lower camel case first (`IN_PROGRESS` → `inProgress`); two values that
///    meet in one case name keep their first-come order, the later one taking rule 2's underscore.
/// 4. A non-model field whose value can contain the type it belongs to (`parent: Node` in `Node`,
///    or through another type) is stored indirectly (`@Indirect`, whose storage Swift names with
///    a leading underscore: `_parent`); a field of the same type spelled like that storage takes
///    rule 2's underscore.
public struct SwiftNames: Sendable {
    /// Swift's keywords, which need backticks as identifiers.
    public static let keywords: Set<String> = [
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension", "fileprivate", "func",
        "import", "init", "inout", "internal", "let", "nonisolated", "open", "operator", "package", "private",
        "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias", "var",
        "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if",
        "in", "repeat", "return", "throw", "switch", "where", "while", "Any", "as", "await", "consume", "copy",
        "discard", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "Type", "Protocol",
        "some", "any", "_",
    ]

    /// Member names backticks cannot rescue, or that generated models and non-model types declare.
    static let reservedMembers: Set<String> = [
        "self", "Type", "Protocol", "_", "hashValue", "fieldValues", "fieldValue", "relationContext", "_relations",
    ]

    /// Relation names also become static members beside the generated `schema` and `fieldName(for:)`,
    /// and their initializer calls `relation(_:to:)`.
    static let reservedRelationMembers: Set<String> = reservedMembers.union(["schema", "fieldName", "relation"])

    /// Case names generated enums cannot take.
    static let reservedCases: Set<String> = ["self", "Type", "Protocol", "_", "allCases", "enumType", "fieldValue"]

    /// Type names a generated type cannot take: keywords, and the types generated code uses.
    static let reservedTypes: Set<String> = keywords.union([
        "String", "Int", "Double", "Bool", "Array", "Dictionary", "Optional", "Set", "Error", "Never", "Void",
        "Model", "ModelSchema", "ModelField", "ModelIndex", "ModelRelation", "ModelKey", "FieldValue", "FieldValues",
        "FieldValueError", "FieldValueConvertible", "ModelEnum", "EmbeddedModel", "EnumType", "EmbeddedType",
        "Temporal", "DataStore", "DataStoreError", "QueryPredicate", "ModelRegistry", "RelationContext",
        "RelatedModels", "PartialKeyPath", "Foundation", "UUID", "Date", "URL", "Data", "Sendable", "Hashable",
        "Indirect",
    ])

    private var types: [String: String] = [:]
    private var members: [String: [String: String]] = [:]
    private var cases: [String: [String: String]] = [:]
    /// Per non-model type, its fields stored indirectly (rule 4).
    private var indirectFields: [String: Set<String>] = [:]

    /// The spellings of every name of `document`.
    public init(_ document: SchemaDocument) {
        let typeNames =
            document.models.map(\.schema.name) + document.enums.map(\.enumType.name)
            + document.nonModels.map(\.embeddedType.name)
        types = Self.spell(typeNames, reserved: Self.reservedTypes)
        // Inside a generated type, a member named like a type would hide that type.
        let typeSpellings = Set(types.values)
        for model in document.models {
            let schema = model.schema
            var spelled = Self.spell(schema.fields.map(\.name), reserved: Self.reservedMembers, taken: typeSpellings)
            let taken = typeSpellings.union(spelled.values)
            for (relation, name) in Self.spell(
                schema.relations.map(\.name),
                reserved: Self.reservedRelationMembers,
                taken: taken
            ) {
                spelled[relation] = name
            }
            members[schema.name] = spelled
        }
        for definition in document.nonModels {
            let type = definition.embeddedType
            var spelled = Self.spell(type.fields.map(\.name), reserved: Self.reservedMembers, taken: typeSpellings)
            let indirect = Set(type.fields.filter { Self.containsOwner($0.type, owner: type.name) }.map(\.name))
            let storage = Set(indirect.compactMap { spelled[$0].map { "_" + $0 } })
            var used = storage.union(spelled.values)
            for field in type.fields where storage.contains(spelled[field.name] ?? field.name) {
                var name = (spelled[field.name] ?? field.name) + "_"
                while used.contains(name) || Self.reservedMembers.contains(name) { name += "_" }
                used.insert(name)
                spelled[field.name] = name
            }
            members[type.name] = spelled
            indirectFields[type.name] = indirect
        }
        for definition in document.enums {
            var spelled: [String: String] = [:]
            var taken: Set<String> = []
            for value in definition.enumType.values {
                var name = Self.enumCaseName(value)
                while taken.contains(name) || Self.reservedCases.contains(name) { name += "_" }
                taken.insert(name)
                spelled[value] = name
            }
            cases[definition.enumType.name] = spelled
        }
    }

    /// Spells `names` (unique GraphQL names of one scope): rule 2, then uniqueness against every
    /// other name of the scope and `taken`.
    private static func spell(_ names: [String], reserved: Set<String>, taken: Set<String> = []) -> [String: String] {
        var result: [String: String] = [:]
        var used = taken.union(names.filter { !reserved.contains($0) })
        for name in names {
            guard reserved.contains(name) || taken.contains(name) else {
                result[name] = name
                continue
            }
            var spelled = name + "_"
            while used.contains(spelled) || reserved.contains(spelled) { spelled += "_" }
            used.insert(spelled)
            result[name] = spelled
        }
        return result
    }

    /// Whether field `name` of the non-model type `owner` is stored indirectly (rule 4).
    public func isIndirect(_ name: String, of owner: String) -> Bool {
        indirectFields[owner]?.contains(name) ?? false
    }

    /// Whether a field of type `type` (not a list: an array stores its elements apart already)
    /// holds a non-model value that can contain a value of type `owner`.
    private static func containsOwner(_ type: FieldType, owner: String) -> Bool {
        guard case .embedded(let start) = type else { return false }
        var seen: Set<String> = []
        var pending = [start]
        while let next = pending.popLast() {
            if next.name == owner { return true }
            guard seen.insert(next.name).inserted else { continue }
            for field in next.fields {
                var type = field.type
                while case .list(let element, _) = type { type = element }
                if case .embedded(let inner) = type { pending.append(inner) }
            }
        }
        return false
    }

    /// The Swift name of type `name` (a model, enum or non-model type).
    public func type(_ name: String) -> String {
        Self.escaped(types[name] ?? name)
    }

    /// The Swift name of field or relation `name` of type `owner`, escaped as needed.
    public func member(_ name: String, of owner: String) -> String {
        Self.escaped(members[owner]?[name] ?? name)
    }

    /// Field or relation `name` of type `owner` as an argument label of a call, where keywords other
    /// than `inout`, `var` and `let` stand without backticks.
    public func argumentLabel(_ name: String, of owner: String) -> String {
        let spelled = members[owner]?[name] ?? name
        return ["inout", "var", "let"].contains(spelled) ? "`\(spelled)`" : spelled
    }

    /// The Swift case of enum value `value` of enum `owner`, escaped as needed.
    public func enumCase(_ value: String, of owner: String) -> String {
        Self.escaped(cases[owner]?[value] ?? Self.enumCaseName(value))
    }

    /// The lower camel case of a GraphQL enum value: `ACTIVE` → `active`, `IN_PROGRESS` →
    /// `inProgress`, `inProgress` → `inProgress` (before rule 2 and backticks).
    public static func enumCaseName(_ value: String) -> String {
        let parts = value.split(separator: "_", omittingEmptySubsequences: true).map(String.init)
        guard !parts.isEmpty else { return value }
        let isScreaming = value.uppercased() == value
        var words = parts
        if isScreaming { words = parts.map { $0.lowercased() } }
        var name = Naming.lowerFirst(words[0])
        for word in words.dropFirst() { name += Naming.upperFirst(word) }
        // A leading underscore is part of the GraphQL name; keep it.
        if value.hasPrefix("_") { name = "_" + name }
        return name
    }

    /// `name` in backticks when it is a keyword.
    static func escaped(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }
}
