import BlogModels
import DataStore

/// Supplies the schema of a ``DynamicModel``.
protocol SchemaTag: Sendable {
    static var schema: ModelSchema { get }
}

/// A model whose values are whatever its schema says: used to open one store with different
/// versions of a model, and to store values that typed models cannot express.
struct DynamicModel<Tag: SchemaTag>: Model, Equatable {
    var values: [FieldValue]

    init(_ values: [FieldValue]) {
        self.values = values
    }

    static var schema: ModelSchema { Tag.schema }
    static func fieldName(for keyPath: PartialKeyPath<Self>) -> String? { nil }
    init(fieldValues: FieldValues) throws(FieldValueError) { values = try fieldValues.values }
    var fieldValues: [FieldValue] { values }
}

/// Post as version 1 of an app saw it.
enum PostV1: SchemaTag {
    static let schema = ModelSchema(
        name: "Post",
        fields: [.required("id", .id), .required("title", .string), .required("rating", .int)]
    )
}

/// Version 2: a new optional field and an index (additive).
enum PostV2: SchemaTag {
    static let schema = ModelSchema(
        name: "Post",
        fields: [
            .required("id", .id), .required("title", .string), .required("rating", .int),
            .optional("subtitle", .string),
        ],
        indexes: [ModelIndex(name: "byRating", fields: ["rating"])]
    )
}

/// An incompatible version: `rating` became a String.
enum PostRatingAsString: SchemaTag {
    static let schema = ModelSchema(
        name: "Post",
        fields: [.required("id", .id), .required("title", .string), .required("rating", .string)]
    )
}

/// An incompatible version: a new required field.
enum PostV2Required: SchemaTag {
    static let schema = ModelSchema(
        name: "Post",
        fields: [
            .required("id", .id), .required("title", .string), .required("rating", .int),
            .required("subtitle", .string),
        ]
    )
}

/// A model that is new in version 2.
enum TagV2: SchemaTag {
    static let schema = ModelSchema(name: "Tag", fields: [.required("id", .id), .required("label", .string)])
}

/// A model that declares a date-time field but stores plain strings, so that malformed values can
/// reach validation ("where types cannot prevent it").
enum LooseEvent: SchemaTag {
    static let schema = ModelSchema(
        name: "LooseEvent",
        fields: [
            .required("id", .id), .optional("at", .dateTime), .optional("email", .email), .optional("url", .url),
            .optional("amount", .float), .optional("phone", .phone), .optional("ip", .ipAddress),
            .optional("json", .json), .optional("status", .enumeration(PostStatus.enumType)),
            .optional("tags", .list(of: .string, elementsRequired: true)),
        ]
    )
}
