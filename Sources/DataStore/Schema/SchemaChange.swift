/// How a stored schema relates to the schema a store is opened with.
enum SchemaChange: Equatable, Sendable {
    /// Nothing that affects storage changed.
    case none
    /// Only additive changes (new models, new optional fields, new enum values, changed indexes):
    /// migrated in place, keeping data.
    case additive
    /// The stored schema is the current one plus additive changes: it was written by a newer
    /// version of the app. `detail` names what the current models lack.
    case newer(detail: String, model: String?, field: String?)
    /// Anything else. `detail` says what changed.
    case incompatible(detail: String, model: String?, field: String?)

    /// Classifies the change from `stored` (model descriptions as kept by the store) to `current`.
    static func between(stored: [FieldValue], current: [FieldValue]) -> SchemaChange {
        let old = Dictionary(
            stored.compactMap { d in d.stringMember("name").map { ($0, d) } },
            uniquingKeysWith: { a, _ in a }
        )
        let new = Dictionary(
            current.compactMap { d in d.stringMember("name").map { ($0, d) } },
            uniquingKeysWith: { a, _ in a }
        )
        if old == new { return .none }
        if let problem = additiveProblem(from: old, to: new) {
            if let reverse = reverseGap(from: new, to: old) {
                return .newer(detail: reverse.detail, model: reverse.model, field: reverse.field)
            }
            return .incompatible(detail: problem.detail, model: problem.model, field: problem.field)
        }
        return .additive
    }

    private struct Problem {
        let detail: String
        let model: String?
        let field: String?
    }

    /// When `to` extends `from` additively, what `from` lacks (for the "newer store" error).
    private static func reverseGap(from: [String: FieldValue], to: [String: FieldValue]) -> Problem? {
        guard additiveProblem(from: from, to: to) == nil else { return nil }
        for (name, description) in to.sorted(by: { $0.key < $1.key }) {
            guard let current = from[name] else {
                return Problem(
                    detail: "the store has a model \(name) that this app does not know",
                    model: name,
                    field: nil
                )
            }
            let currentFields = Set(current.listMember("fields").compactMap { $0.stringMember("name") })
            for field in description.listMember("fields") {
                if let fieldName = field.stringMember("name"), !currentFields.contains(fieldName) {
                    return Problem(
                        detail: "the store has a field \(name).\(fieldName) that this app does not know",
                        model: name,
                        field: fieldName
                    )
                }
            }
            if current != description {
                return Problem(
                    detail: "the store's \(name) uses a newer definition of its types",
                    model: name,
                    field: nil
                )
            }
        }
        return nil
    }

    private static func additiveProblem(from old: [String: FieldValue], to new: [String: FieldValue]) -> Problem? {
        for (name, oldModel) in old.sorted(by: { $0.key < $1.key }) {
            guard let newModel = new[name] else {
                return Problem(detail: "the model \(name) was removed", model: name, field: nil)
            }
            if oldModel.objectMember("primaryKey") != newModel.objectMember("primaryKey") {
                return Problem(detail: "the primary key of \(name) changed", model: name, field: nil)
            }
            if let problem = fieldsProblem(from: oldModel.listMember("fields"), to: newModel.listMember("fields")) {
                return Problem(detail: "\(name).\(problem.field): \(problem.detail)", model: name, field: problem.field)
            }
        }
        return nil
    }

    private static func fieldsProblem(from old: [FieldValue], to new: [FieldValue]) -> (field: String, detail: String)?
    {
        let newByName = Dictionary(
            new.compactMap { f in f.stringMember("name").map { ($0, f) } },
            uniquingKeysWith: { a, _ in a }
        )
        let oldNames = Set(old.compactMap { $0.stringMember("name") })
        for field in old {
            guard let name = field.stringMember("name") else { continue }
            guard let newField = newByName[name] else { return (name, "the field was removed") }
            if field.objectMember("required") != newField.objectMember("required") {
                return (name, "required-ness changed")
            }
            if !isAdditive(from: field.objectMember("type"), to: newField.objectMember("type")) {
                return (name, "the type changed")
            }
        }
        for field in new {
            guard let name = field.stringMember("name"), !oldNames.contains(name) else { continue }
            if field.objectMember("required") == .bool(true) {
                return (name, "a new required field cannot be filled in")
            }
        }
        return nil
    }

    private static func isAdditive(from old: FieldValue, to new: FieldValue) -> Bool {
        if old == new { return true }
        if let oldEnum = old.stringMember("enum"), oldEnum == new.stringMember("enum") {
            let newValues = Set(new.listMember("values"))
            return old.listMember("values").allSatisfy(newValues.contains)
        }
        if let embedded = old.stringMember("embedded"), embedded == new.stringMember("embedded") {
            return fieldsProblem(from: old.listMember("fields"), to: new.listMember("fields")) == nil
        }
        if !old.objectMember("list").isNull, !new.objectMember("list").isNull,
            old.objectMember("elementsRequired") == new.objectMember("elementsRequired")
        {
            return isAdditive(from: old.objectMember("list"), to: new.objectMember("list"))
        }
        return false
    }
}

extension FieldValue {
    func objectMember(_ name: String) -> FieldValue {
        if case .object(let members) = self { return members[name] ?? .null }
        return .null
    }

    func stringMember(_ name: String) -> String? {
        if case .string(let value) = objectMember(name) { return value }
        return nil
    }

    func listMember(_ name: String) -> [FieldValue] {
        if case .list(let values) = objectMember(name) { return values }
        return []
    }
}
