/// A problem in a GraphQL schema, at a line and column of its source.
public struct SchemaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The line, from 1.
    public let line: Int
    /// The column, from 1.
    public let column: Int
    /// What is wrong.
    public let message: String
    /// How to fix it, when there is a likely fix.
    public let hint: String?

    /// An error at `line`:`column` saying `message`, with an optional `hint` for the fix.
    public init(line: Int, column: Int, message: String, hint: String? = nil) {
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
    }

    /// `line:column: message (hint)`.
    public var description: String {
        "\(line):\(column): \(message)" + (hint.map { " (\($0))" } ?? "")
    }

    /// The error as compilers print it: `file:line:column: error: message`.
    public func formatted(file: String) -> String {
        "\(file):\(line):\(column): error: \(message)" + (hint.map { "\n    hint: \($0)" } ?? "")
    }
}

/// Every problem found in a schema, in source order.
public struct SchemaErrors: Error, Sendable, CustomStringConvertible {
    /// The problems, in source order.
    public let errors: [SchemaError]

    /// The value as text, for messages and logs.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Something in a schema that was accepted but has no effect on models (for verbose output).
public struct SchemaNote: Hashable, Sendable, CustomStringConvertible {
    /// The line of the related position, from 1.
    public let line: Int
    /// The column of the related position, from 1.
    public let column: Int
    /// What is at the related position.
    public let message: String

    /// The value as text, for messages and logs.
    public var description: String { "\(line):\(column): note: \(message)" }
}
