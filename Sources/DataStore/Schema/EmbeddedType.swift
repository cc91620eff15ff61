/// A GraphQL non-model type (stored inside models, never on its own).
///
/// A non-model type may contain itself, directly (`parent: Node`), through a list
/// (`children: [Node]`) or through another type (`Node` → `Note` → `Node`). Such a type's fields
/// refer back to the type, so they cannot all exist before it does: make it with the initializer
/// that takes the fields as a closure, called once, when the fields are first read. Generated code
/// does this for every non-model type.
///
/// Two embedded types are equal when their names and their stored shapes are: the names, types
/// and requiredness of their fields, nested types included, where a type met again inside itself
/// counts as the same reference.
public struct EmbeddedType: Hashable, Sendable {
    /// The GraphQL type name.
    public let name: String
    private let definition: Definition

    /// A non-model type named `name` with `fields`.
    public init(name: String, fields: [ModelField]) {
        self.name = name
        definition = Definition(.known(fields))
    }

    /// A non-model type named `name` whose fields `fields` makes when they are first read: for
    /// types that contain themselves, whose fields refer to the type being made.
    ///
    /// `fields` is called once (twice at most, if two threads read the fields first at the same
    /// moment; one result is kept) and must not read this type's ``fields``.
    public init(name: String, fields: @escaping @Sendable () -> [ModelField]) {
        self.name = name
        definition = Definition(.deferred(fields))
    }

    /// The fields, in declaration order.
    public var fields: [ModelField] {
        definition.fields
    }

    /// The stored shape this type's equality compares (see ``FieldType``'s storage description).
    var shape: FieldValue {
        definition.shape { FieldType.embedded(self).storageDescription }
    }

    /// Whether the two types have the same name and stored shape.
    public static func == (lhs: EmbeddedType, rhs: EmbeddedType) -> Bool {
        lhs.name == rhs.name && (lhs.definition === rhs.definition || lhs.shape == rhs.shape)
    }

    /// Hashes the name (equal types have equal names).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
    }
}

extension EmbeddedType {
    /// Where an embedded type's fields come from, made once and shared by the copies of the type.
    private final class Definition: Sendable {
        enum Source: Sendable {
            case known([ModelField])
            case deferred(@Sendable () -> [ModelField])
        }

        private let source: Source
        /// The deferred fields once made, and the shape once described.
        private let made = Locked<(fields: [ModelField]?, shape: FieldValue?)>((nil, nil))

        init(_ source: Source) {
            self.source = source
        }

        var fields: [ModelField] {
            switch source {
            case .known(let fields):
                return fields
            case .deferred(let make):
                if let fields = made.withLock({ $0.fields }) { return fields }
                // Made outside the lock: making one type's fields may read another's.
                let fields = make()
                return made.withLock { made in
                    if let first = made.fields { return first }
                    made.fields = fields
                    return fields
                }
            }
        }

        func shape(_ describe: () -> FieldValue) -> FieldValue {
            if let shape = made.withLock({ $0.shape }) { return shape }
            let shape = describe()
            made.withLock { $0.shape = $0.shape ?? shape }
            return shape
        }
    }
}
