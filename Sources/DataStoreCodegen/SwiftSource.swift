import DataStore
import DataStoreSchema

/// Builds Swift source text with consistent indentation.
struct SwiftSource {
    /// swift-format (with the project's `lineLength` of 120) reports lines of 120 characters, so
    /// generated lines stay below that.
    static let lineLength = 119

    private(set) var text = ""
    private var indentation = 0

    /// Appends a line, wrapping the arguments of a call or the elements of a literal one per line
    /// when it would exceed ``lineLength``.
    mutating func line(_ content: String = "") {
        guard !content.isEmpty else {
            text += "\n"
            return
        }
        if indentation * 4 + content.count > Self.lineLength, let (open, close) = Self.lastGroup(content) {
            let head = String(content[...open])
            let inner = String(content[content.index(after: open)..<close])
            let tail = String(content[close...])
            let parts = Self.splitTopLevel(inner)
            if parts.count > 1 || (parts.first.map { indentation * 4 + 4 + $0.count > Self.lineLength } ?? false) {
                line(head)
                indentation += 1
                for part in parts { line(part + ",") }
                indentation -= 1
                line(tail)
                return
            }
        }
        text += String(repeating: "    ", count: indentation) + content + "\n"
    }

    /// The outermost bracket group that closes at the end of the line (before trailing `,` or `)`).
    private static func lastGroup(_ content: String) -> (String.Index, String.Index)? {
        var stack: [String.Index] = []
        var inString = false
        var previous: Character = " "
        var groups: [(String.Index, String.Index)] = []
        var index = content.startIndex
        while index < content.endIndex {
            let character = content[index]
            if inString {
                if character == "\"", previous != "\\" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == "(" || character == "[" {
                stack.append(index)
            } else if character == ")" || character == "]", let open = stack.popLast() {
                if stack.isEmpty { groups.append((open, index)) }
            }
            previous = character == "\\" && previous == "\\" ? " " : character
            index = content.index(after: index)
        }
        guard let last = groups.last else { return nil }
        let trailing = content[content.index(after: last.1)...]
        guard trailing.allSatisfy({ ",;){".contains($0) || $0 == " " }) else { return nil }
        return last
    }

    /// Splits at top-level commas, outside brackets and strings.
    private static func splitTopLevel(_ content: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        var inString = false
        var previous: Character = " "
        for character in content {
            if inString {
                if character == "\"", previous != "\\" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == "(" || character == "[" {
                depth += 1
            } else if character == ")" || character == "]" {
                depth -= 1
            } else if character == ",", depth == 0 {
                parts.append(current.trimmingCharacters())
                current = ""
                previous = character
                continue
            }
            current.append(character)
            previous = character == "\\" && previous == "\\" ? " " : character
        }
        let last = current.trimmingCharacters()
        if !last.isEmpty { parts.append(last) }
        return parts
    }

    /// A `switch` whose `case` labels line up with it, as the project's format wants.
    mutating func switchBlock(_ subject: String, _ body: (inout SwiftSource) -> Void) {
        line("switch \(subject) {")
        body(&self)
        line("}")
    }

    mutating func block(_ opening: String, _ body: (inout SwiftSource) -> Void) {
        line(opening + " {")
        indentation += 1
        body(&self)
        indentation -= 1
        line("}")
    }

    mutating func indented(_ body: (inout SwiftSource) -> Void) {
        indentation += 1
        body(&self)
        indentation -= 1
    }

    /// `///` lines for a GraphQL description.
    mutating func documentation(_ description: String?) {
        guard let description, !description.isEmpty else { return }
        for part in description.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = part.trimmingTrailingWhitespace
            line(trimmed.isEmpty ? "///" : "/// " + trimmed)
        }
    }

    /// A call or literal with one element per line: `prefix(` elements `)suffix`.
    mutating func list(_ prefix: String, _ elements: [String], close: String, suffix: String = "") {
        let single = prefix + elements.joined(separator: ", ") + close + suffix
        if elements.isEmpty || (indentation * 4 + single.count <= Self.lineLength && elements.count <= 1) {
            line(single)
            return
        }
        line(prefix)
        indented { source in
            // swift-format puts a trailing comma after the last of several elements, not after a sole one.
            for element in elements { source.line(elements.count > 1 ? element + "," : element) }
        }
        line(close + suffix)
    }
}

extension String {
    func trimmingCharacters() -> String {
        var result = Substring(self)
        while let first = result.first, first == " " { result.removeFirst() }
        while let last = result.last, last == " " { result.removeLast() }
        return String(result)
    }
}

extension Substring {
    var trimmingTrailingWhitespace: String {
        var result = self
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return String(result)
    }
}

/// Swift spellings of names and values.
enum SwiftSyntax {
    /// A `FieldValue` as a Swift expression that builds it.
    static func fieldValueLiteral(_ value: FieldValue) -> String {
        switch value {
        case .null: ".null"
        case .bool(let flag): ".bool(\(flag))"
        case .int(let number): ".int(\(number))"
        case .double(let number): ".double(\(number))"
        case .string(let text): ".string(\(stringLiteral(text)))"
        case .list(let values): ".list([\(values.map(fieldValueLiteral).joined(separator: ", "))])"
        case .object(let members):
            members.isEmpty
                ? ".object([:])"
                : ".object([\(members.sorted { $0.key < $1.key }.map { "\(stringLiteral($0.key)): \(fieldValueLiteral($0.value))" }.joined(separator: ", "))])"
        }
    }

    /// A Swift string literal for `text`.
    static func stringLiteral(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// The Swift type of a stored field.
    static func type(_ type: FieldType, isRequired: Bool, _ names: SwiftNames) -> String {
        let base: String
        switch type {
        case .id, .string, .email, .json, .url, .phone, .ipAddress: base = "String"
        case .int, .timestamp: base = "Int"
        case .float: base = "Double"
        case .boolean: base = "Bool"
        case .date: base = "Temporal.Date"
        case .time: base = "Temporal.Time"
        case .dateTime: base = "Temporal.DateTime"
        case .enumeration(let enumType): base = names.type(enumType.name)
        case .embedded(let embedded): base = names.type(embedded.name)
        case .list(let element, let elementsRequired):
            base = "[\(Self.type(element, isRequired: elementsRequired, names))]"
        }
        return isRequired ? base : base + "?"
    }

    /// The `FieldType` expression for a schema literal.
    static func fieldTypeExpression(_ type: FieldType, _ names: SwiftNames) -> String {
        switch type {
        case .id: ".id"
        case .string: ".string"
        case .int: ".int"
        case .float: ".float"
        case .boolean: ".boolean"
        case .date: ".date"
        case .time: ".time"
        case .dateTime: ".dateTime"
        case .timestamp: ".timestamp"
        case .email: ".email"
        case .json: ".json"
        case .url: ".url"
        case .phone: ".phone"
        case .ipAddress: ".ipAddress"
        case .enumeration(let enumType): ".enumeration(\(names.type(enumType.name)).enumType)"
        case .embedded(let embedded): ".embedded(\(names.type(embedded.name)).embeddedType)"
        case .list(let element, let required):
            ".list(of: \(fieldTypeExpression(element, names)), elementsRequired: \(required))"
        }
    }

    /// The `ModelField` expression for a schema literal.
    static func fieldExpression(_ field: ModelField, _ names: SwiftNames) -> String {
        let type = fieldTypeExpression(field.type, names)
        if field.isReadOnly {
            return
                "ModelField(name: \(stringLiteral(field.name)), type: \(type), isRequired: \(field.isRequired), isReadOnly: true)"
        }
        return field.isRequired
            ? ".required(\(stringLiteral(field.name)), \(type))" : ".optional(\(stringLiteral(field.name)), \(type))"
    }

    static func stringArray(_ values: [String]) -> String {
        "[" + values.map(stringLiteral).joined(separator: ", ") + "]"
    }

    /// A Swift literal for a `@default` value of a field of `type`, or nil when there is none.
    static func defaultExpression(_ value: FieldValue, type: FieldType, _ names: SwiftNames) -> String? {
        switch (type, value) {
        case (.enumeration(let enumType), .string(let raw)): return "." + names.enumCase(raw, of: enumType.name)
        case (.dateTime, .string(let text)):
            guard let dateTime = try? Temporal.DateTime(iso8601String: text) else { return nil }
            return "Temporal.DateTime(millisecondsSince1970: \(dateTime.millisecondsSince1970))!"
        case (.date, .string(let text)):
            guard let date = try? Temporal.Date(iso8601String: text) else { return nil }
            let offset = date.utcOffsetSeconds.map { ", utcOffsetSeconds: \($0)" } ?? ""
            return "Temporal.Date(year: \(date.year), month: \(date.month), day: \(date.day)\(offset))!"
        case (.time, .string(let text)):
            guard let time = try? Temporal.Time(iso8601String: text) else { return nil }
            let offset = time.utcOffsetSeconds.map { ", utcOffsetSeconds: \($0)" } ?? ""
            return
                "Temporal.Time(hour: \(time.hour), minute: \(time.minute), second: \(time.second), millisecond: \(time.millisecond)\(offset))!"
        case (_, .string(let text)): return stringLiteral(text)
        case (_, .int(let number)): return String(number)
        case (_, .double(let number)): return "\(number)"
        case (_, .bool(let flag)): return String(flag)
        default: return nil
        }
    }
}
