extension ModelSchema {
    /// Names the sync protocol adds to every model; a model may not declare them.
    public static let reservedFieldNames: Set<String> = ["_version", "_deleted", "_lastChangedAt"]

    /// Checks that the schema can be stored: valid GraphQL names (which are also safe SQLite
    /// identifiers), unique fields, a primary key of required single-value fields, indexes over
    /// stored single-value fields.
    ///
    /// - Throws: ``DataStoreError/Code/invalidSchema`` naming the model and field.
    public func validateDefinition() throws(DataStoreError) {
        func invalid(_ message: String, field: String? = nil) -> DataStoreError {
            DataStoreError(code: .invalidSchema, message: message, model: name, field: field)
        }
        if let problem = Self.nameProblem(name) { throw invalid("The model name \"\(name)\" \(problem).") }
        guard !fields.isEmpty else { throw invalid("A model needs at least one field.") }
        var seen: Set<String> = []
        for field in fields {
            if let problem = Self.nameProblem(field.name) {
                throw invalid("The field name \"\(field.name)\" \(problem).", field: field.name)
            }
            if Self.reservedFieldNames.contains(field.name) {
                throw invalid(
                    "\(field.name) is reserved for sync metadata; rename the field.",
                    field: field.name
                )
            }
            guard seen.insert(field.name).inserted else {
                throw invalid("The field \(field.name) is declared twice.", field: field.name)
            }
            var checked: Set<String> = []
            if let problem = Self.typeProblem(field.type, checked: &checked) {
                throw invalid(problem, field: field.name)
            }
        }
        guard !primaryKey.isEmpty else { throw invalid("The primary key names no fields.") }
        for keyField in primaryKey {
            guard let field = field(named: keyField) else {
                throw invalid("The primary key names \(keyField), which is not a field.", field: keyField)
            }
            guard field.isRequired, field.type.isScalar, field.type != .json else {
                throw invalid(
                    "The primary key field \(keyField) must be a required single value (not a list, "
                        + "object or AWSJSON).",
                    field: keyField
                )
            }
        }
        guard Set(primaryKey).count == primaryKey.count else { throw invalid("The primary key repeats a field.") }
        var relationNames: Set<String> = []
        for relation in relations {
            if let problem = Self.nameProblem(relation.name) {
                throw invalid("The relation name \"\(relation.name)\" \(problem).", field: relation.name)
            }
            guard !seen.contains(relation.name), relationNames.insert(relation.name).inserted else {
                throw invalid(
                    "The relation \(relation.name) has the name of another field or relation; rename one of them.",
                    field: relation.name
                )
            }
        }
        var indexNames: Set<String> = []
        for index in indexes {
            // Index names only name SQLite indexes (quoted), so the transformer's implicit names
            // such as `gsi-Post.comments` are fine; control characters are not.
            guard !index.name.isEmpty, !index.name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                throw invalid("An index name is empty or contains control characters.")
            }
            guard indexNames.insert(index.name).inserted else {
                throw invalid("The index \(index.name) is declared twice.")
            }
            guard !index.fields.isEmpty else { throw invalid("The index \(index.name) names no fields.") }
            for indexField in index.fields {
                guard let field = field(named: indexField), field.type.isScalar else {
                    throw invalid(
                        "The index \(index.name) names \(indexField), which is not a stored single-value field.",
                        field: indexField
                    )
                }
            }
        }
    }

    /// Why `name` is not a valid GraphQL name for storage, or nil.
    static func nameProblem(_ name: String) -> String? {
        guard let first = name.utf8.first else { return "is empty" }
        func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A || byte == 0x5F }
        guard isLetter(first), name.utf8.allSatisfy({ isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }) else {
            return "is not a GraphQL name (letters, digits and '_', not starting with a digit)"
        }
        if name.hasPrefix("__") { return "starts with '__', which GraphQL reserves" }
        if name.lowercased().hasPrefix("sqlite_") { return "starts with 'sqlite_', which SQLite reserves" }
        return nil
    }

    /// `checked`: the embedded types already checked (or being checked), each checked once, so
    /// that a type that contains itself is checked, and ends.
    private static func typeProblem(_ type: FieldType, checked: inout Set<String>) -> String? {
        switch type {
        case .enumeration(let enumType):
            if let problem = nameProblem(enumType.name) { return "The enum name \"\(enumType.name)\" \(problem)." }
            guard !enumType.values.isEmpty else { return "The enum \(enumType.name) has no values." }
            guard Set(enumType.values).count == enumType.values.count else {
                return "The enum \(enumType.name) repeats a value."
            }
            for value in enumType.values where nameProblem(value) != nil {
                return "The enum \(enumType.name) has an invalid value \"\(value)\"."
            }
            return nil
        case .embedded(let embedded):
            guard checked.insert(embedded.name).inserted else { return nil }
            if let problem = nameProblem(embedded.name) { return "The type name \"\(embedded.name)\" \(problem)." }
            var seen: Set<String> = []
            for field in embedded.fields {
                if let problem = nameProblem(field.name) {
                    return "The field \(embedded.name).\(field.name) \(problem)."
                }
                guard seen.insert(field.name).inserted else {
                    return "\(embedded.name).\(field.name) is declared twice."
                }
                if let problem = typeProblem(field.type, checked: &checked) { return problem }
            }
            return nil
        case .list(let element, _):
            return typeProblem(element, checked: &checked)
        default:
            return nil
        }
    }
}
