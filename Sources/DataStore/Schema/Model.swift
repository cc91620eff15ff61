/// A model: a value stored by ``DataStore``.
///
/// Models are immutable `Sendable` values; to change one, save an edited copy. Conformances are
/// generated from a GraphQL schema by `datastore-modelgen`; nothing here uses reflection or
/// `Codable`, so encoding and decoding stay fast. A hand-written conformance looks like this:
///
/// ```swift
/// struct Post: Model {
///     var id: String = UUID().uuidString
///     var title: String
///     var rating: Int
///
///     static let schema = ModelSchema(name: "Post", fields: [
///         .required("id", .id), .required("title", .string), .required("rating", .int),
///     ])
///
///     static func fieldName(for keyPath: PartialKeyPath<Post>) -> String? {
///         switch keyPath {
///         case \Post.id: "id"
///         case \Post.title: "title"
///         case \Post.rating: "rating"
///         default: nil
///         }
///     }
///
///     init(fieldValues values: FieldValues) throws(FieldValueError) {
///         id = try values.decode(0)
///         title = try values.decode(1)
///         rating = try values.decode(2)
///     }
///
///     var fieldValues: [FieldValue] { [id.fieldValue, title.fieldValue, rating.fieldValue] }
/// }
/// ```
public protocol Model: Sendable {
    /// The model's storage schema.
    static var schema: ModelSchema { get }

    /// The schema field that `keyPath` reads, or nil when it is not a stored field.
    ///
    /// Predicates and sorts resolve key paths through this when they are built, because key paths
    /// themselves are not `Sendable`.
    static func fieldName(for keyPath: PartialKeyPath<Self>) -> String?

    /// Decodes a model from values in ``ModelSchema/fields`` order.
    init(fieldValues: FieldValues) throws(FieldValueError)

    /// The model's values in ``ModelSchema/fields`` order.
    var fieldValues: [FieldValue] { get }
}

/// The values of a model's fields, in schema order, as handed to ``Model/init(fieldValues:)``.
public struct FieldValues: Sendable {
    /// The values, in ``ModelSchema/fields`` order.
    public let values: [FieldValue]

    @inlinable
    public init(_ values: [FieldValue]) {
        self.values = values
    }

    /// Decodes the field at `index`, attaching the index to any error.
    @inlinable
    public func decode<Value: FieldValueConvertible>(
        _ index: Int,
        as type: Value.Type = Value.self
    )
        throws(FieldValueError) -> Value
    {
        guard index < values.count else {
            throw FieldValueError("no value at field position \(index)", path: ["#\(index)"])
        }
        do {
            return try Value(fieldValue: values[index])
        } catch {
            throw error.inside("#\(index)")
        }
    }
}

/// The list of models an app uses; `datastore-modelgen` generates one (named `AppModels` by
/// default) that also carries the schema version.
public protocol ModelRegistry {
    /// Every model type of the schema.
    static var models: [any Model.Type] { get }
}
