/// A stored value of a model field: the common currency between models, predicates, the storage
/// adapters and (later) the sync protocol.
///
/// Models encode their fields into `FieldValue`s in ``ModelSchema/fields`` order and decode from
/// them; the generated code does this without reflection. Each GraphQL type has one canonical
/// representation:
///
/// | GraphQL type | value |
/// |---|---|
/// | `ID`, `String`, `AWSEmail`, `AWSURL`, `AWSPhone`, `AWSIPAddress`, `AWSJSON` | ``string(_:)`` |
/// | `AWSDate`, `AWSTime`, `AWSDateTime` | ``string(_:)`` in a form that sorts correctly |
/// | enums | ``string(_:)`` holding the GraphQL value (`"ACTIVE"`) |
/// | `Int`, `AWSTimestamp` | ``int(_:)`` |
/// | `Float` | ``double(_:)`` |
/// | `Boolean` | ``bool(_:)`` |
/// | lists | ``list(_:)`` |
/// | non-model (embedded) types | ``object(_:)`` |
///
/// Strings compare and hash by their UTF-8 bytes, as SQLite and DynamoDB do: `"é"` (one scalar)
/// and `"e\u{301}"` (two scalars) are different values, although Swift's `String ==` calls them
/// equal.
public enum FieldValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([FieldValue])
    case object([String: FieldValue])

    /// Whether this is ``null``.
    @inlinable
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension FieldValue: Hashable {
    /// Whether `lhs` and `rhs` are the same value.
    public static func == (lhs: FieldValue, rhs: FieldValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.list(let a), .list(let b)): return a == b
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a {
                guard let other = b.first(where: { $0.key.utf8.elementsEqual(key.utf8) })?.value,
                    other == value
                else { return false }
            }
            return true
        default: return false
        }
    }

    /// Feeds what `==` compares to `hasher`.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .double(let value):
            hasher.combine(3 as UInt8)
            hasher.combine(value)
        case .string(let value):
            hasher.combine(4 as UInt8)
            hasher.combine(value.utf8.count)
            for byte in value.utf8 { hasher.combine(byte) }
        case .list(let values):
            hasher.combine(5 as UInt8)
            hasher.combine(values)
        case .object(let members):
            hasher.combine(6 as UInt8)
            // Order-independent: dictionaries have no stable order.
            var combined = 0
            for (key, value) in members {
                var memberHasher = Hasher()
                memberHasher.combine(FieldValue.string(key))
                memberHasher.combine(value)
                combined ^= memberHasher.finalize()
            }
            hasher.combine(combined)
        }
    }
}

extension FieldValue: CustomStringConvertible {
    /// The value as text, for messages and logs.
    public var description: String { jsonText }
}

extension FieldValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// A string value from a literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer value from a literal.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A floating-point value from a literal.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A Boolean value from a literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A list value from a literal.
    public init(arrayLiteral elements: FieldValue...) { self = .list(elements) }
    /// An object value from a literal.
    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
