/// Stores a property's value out of line, so that a struct can hold a value of its own type.
///
/// A struct cannot contain itself (`var parent: Node?` inside `Node` would make it infinitely
/// large); an array can, because it stores its elements apart. Generated non-model types put
/// `@Indirect` on the fields whose values can contain their own type, directly or through
/// another type; the property reads and writes as a plain one.
@propertyWrapper
public struct Indirect<Value> {
    private var storage: IndirectStorage<Value>

    /// Stores `wrappedValue`.
    public init(wrappedValue: Value) {
        storage = .value(wrappedValue)
    }

    /// The value.
    public var wrappedValue: Value {
        get {
            switch storage {
            case .value(let value): value
            }
        }
        set { storage = .value(newValue) }
    }
}

/// The out-of-line box of an ``Indirect`` value.
private indirect enum IndirectStorage<Value> {
    case value(Value)
}

extension Indirect: Sendable where Value: Sendable {}
extension IndirectStorage: Sendable where Value: Sendable {}

extension Indirect: Equatable where Value: Equatable {
    /// Whether the values are equal.
    public static func == (lhs: Indirect, rhs: Indirect) -> Bool {
        lhs.wrappedValue == rhs.wrappedValue
    }
}

extension Indirect: Hashable where Value: Hashable {
    /// Hashes the value.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(wrappedValue)
    }
}
