import DataStore
import GraphQL

/// A directive argument's value, detached from the GraphQL AST.
indirect enum SDLValue: Equatable {
    case string(String)
    case int(String)
    case float(String)
    case bool(Bool)
    case null
    case enumValue(String)
    case list([SDLValue])
    case object([(name: String, value: SDLValue)])
    case variable(String)

    static func == (lhs: SDLValue, rhs: SDLValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)), (.int(let a), .int(let b)), (.float(let a), .float(let b)),
            (.enumValue(let a), .enumValue(let b)), (.variable(let a), .variable(let b)):
            return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        case (.list(let a), .list(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.name == $1.name && $0.value == $1.value }
        default: return false
        }
    }

    init(_ value: any Value) {
        switch value {
        case let value as StringValue: self = .string(value.value)
        case let value as IntValue: self = .int(value.value)
        case let value as FloatValue: self = .float(value.value)
        case let value as BooleanValue: self = .bool(value.value)
        case is NullValue: self = .null
        case let value as EnumValue: self = .enumValue(value.value)
        case let value as ListValue: self = .list(value.values.map { SDLValue($0) })
        case let value as ObjectValue: self = .object(value.fields.map { ($0.name.value, SDLValue($0.value)) })
        case let value as Variable: self = .variable(value.name.value)
        default: self = .null
        }
    }

    /// A string, or a single string where a list is expected (as the transformer accepts).
    var stringList: [String]? {
        switch self {
        case .string(let value): return [value]
        case .list(let values):
            var strings: [String] = []
            for value in values {
                guard case .string(let string) = value else { return nil }
                strings.append(string)
            }
            return strings
        default: return nil
        }
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value as a `FieldValue`, for options kept verbatim (`@model(queries:)`).
    var fieldValue: FieldValue {
        switch self {
        case .string(let value), .enumValue(let value), .variable(let value): return .string(value)
        case .int(let text): return Int(text).map { .int($0) } ?? .string(text)
        case .float(let text): return Double(text).map { .double($0) } ?? .string(text)
        case .bool(let value): return .bool(value)
        case .null: return .null
        case .list(let values): return .list(values.map(\.fieldValue))
        case .object(let members):
            return .object(
                Dictionary(members.map { ($0.name, $0.value.fieldValue) }, uniquingKeysWith: { _, last in last })
            )
        }
    }

    /// How the value reads in a message.
    var summary: String {
        switch self {
        case .string(let value): return "\"\(value)\""
        case .int(let value), .float(let value), .enumValue(let value): return value
        case .bool(let value): return String(value)
        case .null: return "null"
        case .list: return "a list"
        case .object: return "an object"
        case .variable(let name): return "$\(name)"
        }
    }
}

/// The start of a node in the source.
func position(of location: Location?) -> SourcePosition {
    guard let token = location?.startToken else { return SourcePosition(line: 1, column: 1) }
    return SourcePosition(line: token.line, column: token.column)
}

/// A directive as written: name, arguments by name, and positions for messages.
struct DirectiveUse {
    let name: String
    let arguments: [String: SDLValue]
    let argumentPositions: [String: SourcePosition]
    let argumentOrder: [String]
    let position: SourcePosition

    init(_ directive: Directive) {
        name = directive.name.value
        var arguments: [String: SDLValue] = [:]
        var positions: [String: SourcePosition] = [:]
        var order: [String] = []
        for argument in directive.arguments {
            arguments[argument.name.value] = SDLValue(argument.value)
            positions[argument.name.value] = GraphQL_position(argument.loc)
            order.append(argument.name.value)
        }
        self.arguments = arguments
        argumentPositions = positions
        argumentOrder = order
        position = GraphQL_position(directive.loc)
    }

    func position(of argument: String) -> SourcePosition { argumentPositions[argument] ?? position }
}

private func GraphQL_position(_ location: Location?) -> SourcePosition { position(of: location) }

/// A field's GraphQL type: a named type, or a list, each either nullable or not.
indirect enum TypeReference: Equatable {
    case named(String, required: Bool)
    case list(TypeReference, required: Bool)

    init(_ type: any GraphQL.`Type`) {
        switch type {
        case let nonNull as NonNullType:
            switch TypeReference(nonNull.type) {
            case .named(let name, _): self = .named(name, required: true)
            case .list(let element, _): self = .list(element, required: true)
            }
        case let list as ListType:
            self = .list(TypeReference(list.type), required: false)
        case let named as NamedType:
            self = .named(named.name.value, required: false)
        default:
            self = .named("", required: false)
        }
    }

    /// The innermost named type (`Comment` for `[Comment!]!`).
    var baseName: String {
        switch self {
        case .named(let name, _): name
        case .list(let element, _): element.baseName
        }
    }

    var isRequired: Bool {
        switch self {
        case .named(_, let required), .list(_, let required): required
        }
    }

    var isList: Bool {
        if case .list = self { return true }
        return false
    }

    /// As written in SDL.
    var sdl: String {
        switch self {
        case .named(let name, let required): name + (required ? "!" : "")
        case .list(let element, let required): "[\(element.sdl)]" + (required ? "!" : "")
        }
    }
}
