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

    /// Where the model's relations load from. Generated models with relations keep the context
    /// their ``init(fieldValues:)`` receives in ``FieldValues/context``; the default is an empty
    /// context, for models without relations.
    var relationContext: RelationContext { get }
}

extension Model {
    /// An empty context: the model has no relations to load.
    public var relationContext: RelationContext { RelationContext() }
}

/// The values of a model's fields, in schema order, as handed to ``Model/init(fieldValues:)``.
///
/// Generated code reads each field with ``decode(_:as:)``. When a query decodes models, the values
/// come straight from the SQLite row, without an intermediate array.
public struct FieldValues {
    // Two plain stored properties rather than an enum: reading a stored class reference from a
    // borrowed struct needs no retain, while binding an enum payload copies it for every field.
    @usableFromInline
    let array: [FieldValue]
    @usableFromInline
    let source: FieldValueSource?
    /// Where the decoded model's relations load from: the store that is decoding it.
    public let context: RelationContext

    /// Values in ``ModelSchema/fields`` order.
    @inlinable
    public init(_ values: [FieldValue]) {
        array = values
        source = nil
        context = RelationContext()
    }

    /// Values in ``ModelSchema/fields`` order, decoded for a store whose relations load through
    /// `context`.
    public init(_ values: [FieldValue], context: RelationContext) {
        array = values
        source = nil
        self.context = context
    }

    init(source: FieldValueSource, context: RelationContext) {
        array = []
        self.source = source
        self.context = context
    }

    /// The number of values.
    public var count: Int { source?.count ?? array.count }

    /// All values, in schema order.
    public var values: [FieldValue] {
        get throws(FieldValueError) {
            guard source != nil else { return array }
            var values: [FieldValue] = []
            values.reserveCapacity(count)
            for index in 0..<count { values.append(try value(at: index)) }
            return values
        }
    }

    /// The value at `index`, attaching the index to any error.
    @inlinable
    func value(at index: Int) throws(FieldValueError) -> FieldValue {
        if let source {
            guard index < source.count else {
                throw FieldValueError("no value at field position \(index)", path: ["#\(index)"])
            }
            do {
                return try source.value(at: index)
            } catch {
                throw error.inside("#\(index)")
            }
        }
        guard index < array.count else {
            throw FieldValueError("no value at field position \(index)", path: ["#\(index)"])
        }
        return array[index]
    }

    /// Decodes the field at `index`, attaching the index to any error.
    @inlinable
    public func decode<Value: FieldValueConvertible>(
        _ index: Int,
        as type: Value.Type = Value.self
    )
        throws(FieldValueError) -> Value
    {
        let value = try value(at: index)
        do {
            return try Value(fieldValue: value)
        } catch {
            throw error.inside("#\(index)")
        }
    }
}

/// Supplies field values on demand (the current row of an SQLite cursor). Subclassed inside the
/// module; a class so that ``FieldValues`` holds it without copying an existential per field.
@usableFromInline
class FieldValueSource {
    @usableFromInline
    var count: Int { 0 }

    @usableFromInline
    func value(at index: Int) throws(FieldValueError) -> FieldValue { .null }
}

/// The list of models an app uses; `datastore-modelgen` generates one (named `AppModels` by
/// default) that also carries the schema version.
public protocol ModelRegistry {
    /// Every model type of the schema.
    static var models: [any Model.Type] { get }
}
