/// A Swift type that a model field can have: it converts to and from its ``FieldValue``.
///
/// The library conforms `String`, `Int`, `Double`, `Bool`, the ``Temporal`` types, `Optional`
/// and `Array`; generated enums conform through ``ModelEnum`` and generated non-model types
/// through ``EmbeddedModel``.
public protocol FieldValueConvertible: Sendable {
    /// Decodes the value; throws when `fieldValue` has the wrong kind or an invalid form.
    init(fieldValue: FieldValue) throws(FieldValueError)
    /// The stored representation.
    var fieldValue: FieldValue { get }
}

/// A single value that predicates can compare a field with (not a list, not an embedded object).
public protocol ScalarFieldValue: FieldValueConvertible {}

/// Why a ``FieldValue`` could not be turned into a Swift value.
public struct FieldValueError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let reason: String
    /// The path to the offending value inside the model, outermost first
    /// (`["address", "city"]`, or `["tags", "2"]` for a list element).
    public internal(set) var path: [String]

    /// An error with a reason, at `path` inside the model.
    public init(_ reason: String, path: [String] = []) {
        self.reason = reason
        self.path = path
    }

    /// A value of the wrong kind, for use by generated code.
    public static func typeMismatch(expected: String, found: FieldValue) -> FieldValueError {
        FieldValueError("expected \(expected), found \(found.kindName)")
    }

    /// The same error inside `component`.
    public func inside(_ component: String) -> FieldValueError {
        var copy = self
        copy.path.insert(component, at: 0)
        return copy
    }

    /// The value as text, for messages and logs.
    public var description: String {
        path.isEmpty ? reason : "\(path.joined(separator: ".")): \(reason)"
    }
}

extension FieldValue {
    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a Boolean"
        case .int: "an Int"
        case .double: "a Float"
        case .string: "a String"
        case .list: "a list"
        case .object: "an object"
        }
    }
}

extension String: ScalarFieldValue {
    /// Decodes the value from its stored form.
    ///
    /// - Throws: ``FieldValueError`` when `fieldValue` holds another kind of value.
    @inlinable
    public init(fieldValue: FieldValue) throws(FieldValueError) {
        guard case .string(let value) = fieldValue else { throw .typeMismatch(expected: "a String", found: fieldValue) }
        self = value
    }

    /// The value in its stored form.
    @inlinable
    public var fieldValue: FieldValue { .string(self) }
}

extension Int: ScalarFieldValue {
    /// Decodes the value from its stored form.
    ///
    /// - Throws: ``FieldValueError`` when `fieldValue` holds another kind of value.
    @inlinable
    public init(fieldValue: FieldValue) throws(FieldValueError) {
        guard case .int(let value) = fieldValue else { throw .typeMismatch(expected: "an Int", found: fieldValue) }
        self = value
    }

    /// The value in its stored form.
    @inlinable
    public var fieldValue: FieldValue { .int(self) }
}

extension Double: ScalarFieldValue {
    /// Decodes the value from its stored form.
    ///
    /// - Throws: ``FieldValueError`` when `fieldValue` holds another kind of value.
    @inlinable
    public init(fieldValue: FieldValue) throws(FieldValueError) {
        switch fieldValue {
        case .double(let value): self = value
        case .int(let value): self = Double(value)
        default: throw .typeMismatch(expected: "a Float", found: fieldValue)
        }
    }

    /// The value in its stored form.
    @inlinable
    public var fieldValue: FieldValue { .double(self) }
}

extension Bool: ScalarFieldValue {
    /// Decodes the value from its stored form.
    ///
    /// - Throws: ``FieldValueError`` when `fieldValue` holds another kind of value.
    @inlinable
    public init(fieldValue: FieldValue) throws(FieldValueError) {
        guard case .bool(let value) = fieldValue else { throw .typeMismatch(expected: "a Boolean", found: fieldValue) }
        self = value
    }

    /// The value in its stored form.
    @inlinable
    public var fieldValue: FieldValue { .bool(self) }
}

extension Temporal.DateTime: ScalarFieldValue {
    /// Decodes the value from its stored form.
    ///
    /// - Throws: ``FieldValueError`` when `fieldValue` holds another kind of value.
    public init(fieldValue: FieldValue) throws(FieldValueError) {
        guard case .string(let text) = fieldValue else {
            throw .typeMismatch(expected: "an AWSDateTime string", found: fieldValue)
        }
        do { self = try Temporal.DateTime(iso8601String: text) } catch { throw FieldValueError(error.description) }
    }

    /// The value in its stored form.
    public var fieldValue: FieldValue { .string(iso8601String) }
}

extension Temporal.Date: ScalarFieldValue {
    /// Decodes the value from its stored form.
    ///
    /// - Throws: ``FieldValueError`` when `fieldValue` holds another kind of value.
    public init(fieldValue: FieldValue) throws(FieldValueError) {
        guard case .string(let text) = fieldValue else {
            throw .typeMismatch(expected: "an AWSDate string", found: fieldValue)
        }
        do { self = try Temporal.Date(iso8601String: text) } catch { throw FieldValueError(error.description) }
    }

    /// The value in its stored form.
    public var fieldValue: FieldValue { .string(iso8601String) }
}

extension Temporal.Time: ScalarFieldValue {
    /// Decodes the value from its stored form.
    ///
    /// - Throws: ``FieldValueError`` when `fieldValue` holds another kind of value.
    public init(fieldValue: FieldValue) throws(FieldValueError) {
        guard case .string(let text) = fieldValue else {
            throw .typeMismatch(expected: "an AWSTime string", found: fieldValue)
        }
        do { self = try Temporal.Time(iso8601String: text) } catch { throw FieldValueError(error.description) }
    }

    /// The value in its stored form.
    public var fieldValue: FieldValue { .string(iso8601String) }
}

extension Optional: FieldValueConvertible where Wrapped: FieldValueConvertible {
    /// Decodes the value from its stored form.
    ///
    /// - Throws: ``FieldValueError`` when `fieldValue` holds another kind of value.
    @inlinable
    public init(fieldValue: FieldValue) throws(FieldValueError) {
        if case .null = fieldValue {
            self = .none
        } else {
            self = .some(try Wrapped(fieldValue: fieldValue))
        }
    }

    /// The value in its stored form.
    @inlinable
    public var fieldValue: FieldValue { self?.fieldValue ?? .null }
}

extension Array: FieldValueConvertible where Element: FieldValueConvertible {
    /// Decodes the value from its stored form.
    ///
    /// - Throws: ``FieldValueError`` when `fieldValue` holds another kind of value.
    public init(fieldValue: FieldValue) throws(FieldValueError) {
        guard case .list(let values) = fieldValue else { throw .typeMismatch(expected: "a list", found: fieldValue) }
        var result: [Element] = []
        result.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            do { result.append(try Element(fieldValue: value)) } catch { throw error.inside(String(index)) }
        }
        self = result
    }

    /// The value in its stored form.
    public var fieldValue: FieldValue { .list(map(\.fieldValue)) }
}

/// A GraphQL enum: generated code declares each enum as `String`-backed with the GraphQL value as
/// the raw value (`case active = "ACTIVE"`), and predicates compare enums by that value.
public protocol ModelEnum: ScalarFieldValue, RawRepresentable, CaseIterable, Hashable where RawValue == String {}

extension ModelEnum {
    // Inlinable so that each enum's conformance is specialized in its own module: the generic
    // version looked up type metadata on every decoded row.
    /// Decodes the value from its stored form.
    ///
    /// - Throws: ``FieldValueError`` when `fieldValue` holds another kind of value.
    @inlinable
    public init(fieldValue: FieldValue) throws(FieldValueError) {
        guard case .string(let raw) = fieldValue else {
            throw .typeMismatch(expected: "a \(Self.self) value", found: fieldValue)
        }
        guard let value = Self(rawValue: raw) else {
            throw Self.unknownValue(raw)
        }
        self = value
    }

    /// The value in its stored form.
    @inlinable
    public var fieldValue: FieldValue { .string(rawValue) }

    @usableFromInline
    static func unknownValue(_ raw: String) -> FieldValueError {
        let known = allCases.map(\.rawValue).joined(separator: ", ")
        return FieldValueError("\"\(raw)\" is not a value of \(Self.self) (known: \(known))")
    }
}

/// A GraphQL non-model type stored inside a model's field (as JSON in SQLite).
///
/// Generated code implements ``FieldValueConvertible/init(fieldValue:)`` and ``FieldValueConvertible/fieldValue`` with ``FieldValue/object(_:)``
/// values keyed by the GraphQL field names.
public protocol EmbeddedModel: FieldValueConvertible, Hashable {
    /// The embedded type's schema.
    static var embeddedType: EmbeddedType { get }
}

extension FieldValue {
    /// Decodes the member `name` of an ``object(_:)`` value; a missing member decodes as null.
    /// For use by generated ``EmbeddedModel`` code.
    public func member<V: FieldValueConvertible>(_ name: String, as type: V.Type = V.self) throws(FieldValueError) -> V
    {
        guard case .object(let members) = self else { throw .typeMismatch(expected: "an object", found: self) }
        do { return try V(fieldValue: members[name] ?? .null) } catch { throw error.inside(name) }
    }
}
