/// The schema version: a hash of everything about the models that shapes on-device storage.
///
/// It covers model names, field names, types, required-ness, primary keys and indexes, and ignores
/// everything else (field order, plural names, descriptions, formatting). The code generator and
/// the server use this same function.
public enum SchemaVersion {
    /// The version hash of a set of models: 64 hex digits.
    public static func hash(of schemas: [ModelSchema]) -> String {
        SHA256.hexDigest(canonicalText(of: schemas))
    }

    /// The canonical JSON text the hash is computed from; also what the store keeps to tell which
    /// changes a new schema makes.
    static func canonicalText(of schemas: [ModelSchema]) -> String {
        let sorted = schemas.sorted { FieldValue.compareUTF8($0.name, $1.name) == .less }
        return FieldValue.list(sorted.map(\.storageDescription)).jsonText
    }
}

extension ModelSchema {
    /// The storage-relevant structure of the model as a canonical value.
    var storageDescription: FieldValue {
        .object([
            "name": .string(name),
            "primaryKey": .list(primaryKey.map(FieldValue.string)),
            "fields": .list(Self.sortedFieldDescriptions(fields)),
            "indexes": .list(
                indexes.sorted { FieldValue.compareUTF8($0.name, $1.name) == .less }.map { index in
                    .object(["name": .string(index.name), "fields": .list(index.fields.map(FieldValue.string))])
                }
            ),
        ])
    }

    static func sortedFieldDescriptions(_ fields: [ModelField]) -> [FieldValue] {
        var enclosing: Set<String> = []
        return sortedFieldDescriptions(fields, enclosing: &enclosing)
    }

    /// `enclosing`: the embedded types being described around these fields.
    fileprivate static func sortedFieldDescriptions(
        _ fields: [ModelField],
        enclosing: inout Set<String>
    ) -> [FieldValue] {
        fields.sorted { FieldValue.compareUTF8($0.name, $1.name) == .less }.map { field in
            .object([
                "name": .string(field.name),
                "type": field.type.storageDescription(enclosing: &enclosing),
                "required": .bool(field.isRequired),
            ])
        }
    }
}

extension FieldType {
    var storageDescription: FieldValue {
        var enclosing: Set<String> = []
        return storageDescription(enclosing: &enclosing)
    }

    /// The description; an embedded type met again inside itself (one of `enclosing`) is
    /// described by its name alone, marked as such, so that a type that contains itself has a
    /// finite description (and types that do not are described as they always were).
    fileprivate func storageDescription(enclosing: inout Set<String>) -> FieldValue {
        switch self {
        case .enumeration(let type):
            return .object(["enum": .string(type.name), "values": .list(type.values.sorted().map(FieldValue.string))])
        case .embedded(let type):
            guard enclosing.insert(type.name).inserted else {
                return .object(["embedded": .string(type.name), "enclosing": .bool(true)])
            }
            defer { enclosing.remove(type.name) }
            return .object([
                "embedded": .string(type.name),
                "fields": .list(ModelSchema.sortedFieldDescriptions(type.fields, enclosing: &enclosing)),
            ])
        case .list(let element, let required):
            return .object([
                "list": element.storageDescription(enclosing: &enclosing), "elementsRequired": .bool(required),
            ])
        default:
            return .string(graphQLName)
        }
    }
}
