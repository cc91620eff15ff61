/// The measures of a query text that ``DocumentLimits`` bound, found in one linear pass.
///
/// The scan reads GraphQL's lexical grammar (names, punctuators, numbers, strings and block
/// strings, comments) and tracks a stack of open brackets, so it knows, for each token, whether
/// it is inside a selection set or inside a value. It does not check the grammar: the parser does
/// that afterwards, on a document these measures have shown to be small enough to parse.
struct DocumentScan: Equatable, Sendable {
    /// The query's length in UTF-8 bytes.
    var length = 0
    var tokens = 0
    /// The deepest field, fragments expanded.
    var selectionDepth = 0
    /// The deepest list or object value.
    var valueDepth = 0
    /// The deepest bracket nesting, fragments expanded.
    var nesting = 0
    /// The fields selected, fragments expanded at each spread (saturating).
    var selections = 0
    var aliases = 0
    var directives = 0
    /// A fragment that spreads itself, directly or through others (validation refuses it too;
    /// the scan names it because it cannot expand it).
    var cyclicFragment: String?

    private init() {}

    /// Scans `query`.
    init(_ query: String) {
        var scanner = Scanner()
        var text = query
        text.withUTF8 { scanner.scan($0) }
        self = scanner.finish()
    }

    /// The first limit `self` exceeds: its name, the limit and the value found.
    func exceeded(_ limits: DocumentLimits) -> (limit: String, allowed: Int, found: Int)? {
        let checks: [(String, Int, Int)] = [
            ("maximumLength", limits.maximumLength, length),
            ("maximumTokens", limits.maximumTokens, tokens),
            ("maximumNesting", limits.maximumNesting, nesting),
            ("maximumSelectionDepth", limits.maximumSelectionDepth, selectionDepth),
            ("maximumValueDepth", limits.maximumValueDepth, valueDepth),
            ("maximumSelections", limits.maximumSelections, selections),
            ("maximumAliases", limits.maximumAliases, aliases),
            ("maximumDirectives", limits.maximumDirectives, directives),
        ]
        for (name, allowed, found) in checks where found > allowed { return (name, allowed, found) }
        return nil
    }
}

extension DocumentScan {
    /// What an open bracket encloses.
    private enum Bracket {
        /// A selection set; `field` when a field opened it (an operation, a fragment definition or
        /// an inline fragment adds no depth of selection).
        case selections(field: Bool)
        /// Arguments, variable definitions or directive arguments: a value context.
        case parentheses
        /// A list or object value, or a list type.
        case value
        /// A brace or bracket outside any definition's context (type-system syntax, or garbage):
        /// counted for nesting only.
        case other
    }

    /// What the scanner expects next inside a selection set.
    private enum Expectation {
        case none
        /// After a field's name: `{` opens its selections.
        case fieldBraceMayFollow
        /// After `name` at a selection: `:` makes it an alias, and the field's name follows.
        case aliasColonMayFollow
        /// After `:` of an alias: the field's name.
        case fieldNameAfterAlias
        /// After `...`: `on` or `{` or `@` (inline fragment), or a name (spread).
        case afterSpread
        /// After `... on`: the type condition.
        case typeCondition
        /// After `@`: the directive's name.
        case directiveName
        /// After the keyword `fragment`: its name.
        case fragmentName
    }

    /// A unit whose selections are counted on their own and expanded at each spread: an operation
    /// (or anonymous selection set) or a fragment definition.
    private struct Unit {
        var fragmentName: String?
        var hasSelectionSet = false
        var ownSelections = 0
        var ownSelectionDepth = 0
        var ownNesting = 0
        /// Spreads: the fragment's name, with the field depth and bracket nesting at the spread.
        var spreads: [(name: String, fieldDepth: Int, nesting: Int)] = []
    }

    private struct Scanner {
        var scan = DocumentScan()
        var stack: [Bracket] = []
        var fieldDepth = 0  // field-opened selection sets open now
        var valueDepth = 0  // lists and objects open inside the innermost parentheses
        var parenthesesOpen = 0
        var valueDepthStack: [Int] = []  // value depth outside each open parenthesis
        var expectation = Expectation.none
        var pendingBrace = Bracket.selections(field: false)
        var units: [Unit] = []
        var current: Unit?

        mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) {
            scan.length = bytes.count
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0D, 0x2C:  // space, tab, line ends, comma
                    index += 1
                case 0xEF where index + 2 < count && bytes[index + 1] == 0xBB && bytes[index + 2] == 0xBF:
                    index += 3  // byte order mark
                case 0x23:  // # comment to the end of the line
                    while index < count, bytes[index] != 0x0A, bytes[index] != 0x0D { index += 1 }
                case 0x22:  // strings
                    scan.tokens += 1
                    index = Self.endOfString(bytes, from: index)
                    value()
                case 0x2E:  // ... (or a stray dot)
                    scan.tokens += 1
                    if index + 2 < count, bytes[index + 1] == 0x2E, bytes[index + 2] == 0x2E {
                        index += 3
                        if inSelections { expectation = .afterSpread }
                    } else {
                        index += 1
                    }
                case 0x2D, 0x30...0x39:  // numbers
                    scan.tokens += 1
                    index += 1
                    while index < count {
                        let next = bytes[index]
                        if (0x30...0x39).contains(next) || next == 0x2E || next == 0x65 || next == 0x45 {
                            index += 1
                        } else if next == 0x2B || next == 0x2D, bytes[index - 1] | 0x20 == 0x65 {
                            index += 1
                        } else {
                            break
                        }
                    }
                    value()
                case 0x5F, 0x41...0x5A, 0x61...0x7A:  // names
                    scan.tokens += 1
                    let start = index
                    index += 1
                    while index < count, Self.isNameContinuation(bytes[index]) { index += 1 }
                    name(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                default:
                    scan.tokens += 1
                    index += 1
                    punctuator(byte)
                }
            }
        }

        private static func isNameContinuation(_ byte: UInt8) -> Bool {
            byte == 0x5F || (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        }

        /// The index after the string starting at `start` (its end, when it is not closed).
        private static func endOfString(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
            let count = bytes.count
            if start + 2 < count, bytes[start + 1] == 0x22, bytes[start + 2] == 0x22 {
                var index = start + 3
                while index < count {
                    if bytes[index] == 0x5C, index + 3 < count, bytes[index + 1] == 0x22, bytes[index + 2] == 0x22,
                        bytes[index + 3] == 0x22
                    {
                        index += 4
                    } else if bytes[index] == 0x22, index + 2 < count, bytes[index + 1] == 0x22,
                        bytes[index + 2] == 0x22
                    {
                        return index + 3
                    } else {
                        index += 1
                    }
                }
                return count
            }
            var index = start + 1
            while index < count {
                switch bytes[index] {
                case 0x5C: index += 2
                case 0x22: return index + 1
                case 0x0A, 0x0D: return index  // strings end at a line end (a syntax error)
                default: index += 1
                }
            }
            return count
        }

        private var inSelections: Bool {
            if case .selections? = stack.last { return true }
            return false
        }

        /// A scalar value or a string: ends any expectation.
        private mutating func value() {
            expectation = .none
        }

        private mutating func name(_ bytes: UnsafeBufferPointer<UInt8>) {
            switch expectation {
            case .directiveName:
                expectation = .none
                return
            case .typeCondition:
                expectation = .none
                return
            case .afterSpread:
                if bytes.elementsEqual("on".utf8) {
                    expectation = .typeCondition
                    pendingBrace = .selections(field: false)
                } else {
                    expectation = .none
                    current?.spreads.append(
                        (String(decoding: bytes, as: UTF8.self), fieldDepth, stack.count)
                    )
                }
                return
            case .fieldNameAfterAlias:
                expectation = .fieldBraceMayFollow
                return
            case .fragmentName:
                expectation = .none
                current?.fragmentName = String(decoding: bytes, as: UTF8.self)
                return
            case .none, .fieldBraceMayFollow, .aliasColonMayFollow:
                break
            }
            if stack.isEmpty {
                // A definition's keyword or name: `query Name`, `fragment Name on Type`.
                expectation = .none
                if bytes.elementsEqual("fragment".utf8) {
                    startUnit()
                    expectation = .fragmentName
                } else if bytes.elementsEqual("query".utf8) || bytes.elementsEqual("mutation".utf8)
                    || bytes.elementsEqual("subscription".utf8)
                {
                    startUnit()
                }
                return
            }
            guard inSelections else {
                expectation = .none
                return
            }
            // A selection: a field, or an alias whose field follows the colon.
            current?.ownSelections += 1
            let depth = fieldDepth + 1
            if depth > (current?.ownSelectionDepth ?? 0) { current?.ownSelectionDepth = depth }
            expectation = .aliasColonMayFollow
            pendingBrace = .selections(field: true)
        }

        private mutating func startUnit() {
            if let current { units.append(current) }
            current = Unit()
        }

        private mutating func punctuator(_ byte: UInt8) {
            switch byte {
            case UInt8(ascii: ":"):
                if expectation == .aliasColonMayFollow {
                    scan.aliases += 1
                    expectation = .fieldNameAfterAlias
                } else {
                    expectation = .none
                }
            case UInt8(ascii: "@"):
                scan.directives += 1
                if expectation == .afterSpread { pendingBrace = .selections(field: false) }
                expectation = .directiveName
            case UInt8(ascii: "{"):
                if stack.isEmpty {
                    if current == nil || current?.hasSelectionSet == true { startUnit() }
                    current?.hasSelectionSet = true
                    open(.selections(field: false))
                } else if parenthesesOpen > 0 {
                    open(.value)
                } else if inSelections {
                    open(expectation == .afterSpread ? .selections(field: false) : pendingBrace)
                    pendingBrace = .selections(field: false)
                } else {
                    open(.other)
                }
                expectation = .none
            case UInt8(ascii: "["):
                open(parenthesesOpen > 0 ? .value : .other)
                expectation = .none
            case UInt8(ascii: "("):
                open(.parentheses)
                // After a field's arguments, `{` still opens its selections.
                if expectation != .aliasColonMayFollow && expectation != .fieldBraceMayFollow {
                    expectation = .none
                }
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                let closed = stack.popLast()
                switch closed {
                case .selections(field: true)?: fieldDepth -= 1
                case .parentheses?:
                    parenthesesOpen -= 1
                    valueDepth = valueDepthStack.popLast() ?? 0
                case .value?: valueDepth -= 1
                default: break
                }
                // A field's arguments keep the field's selections expected.
                if case .parentheses? = closed, inSelections {
                    expectation = .fieldBraceMayFollow
                } else {
                    expectation = .none
                }
            default:
                expectation = .none
            }
        }

        private mutating func open(_ bracket: Bracket) {
            stack.append(bracket)
            if stack.count > scan.nesting { scan.nesting = stack.count }
            if stack.count > (current?.ownNesting ?? 0) { current?.ownNesting = stack.count }
            switch bracket {
            case .selections(field: true): fieldDepth += 1
            case .parentheses:
                parenthesesOpen += 1
                valueDepthStack.append(valueDepth)
                valueDepth = 0
            case .value:
                valueDepth += 1
                if valueDepth > scan.valueDepth { scan.valueDepth = valueDepth }
            default: break
            }
        }

        /// Expands fragment spreads: each unit's deepest field and nesting, and its selection
        /// count, through the fragments it spreads. Iterative, so a long chain of fragments costs
        /// no stack.
        mutating func finish() -> DocumentScan {
            if let current { units.append(current) }
            var byName: [String: Int] = [:]
            for (index, unit) in units.enumerated() {
                if let name = unit.fragmentName, byName[name] == nil { byName[name] = index }
            }
            enum Mark { case unvisited, visiting, done }
            var marks = [Mark](repeating: .unvisited, count: units.count)
            var depth = [Int](repeating: 0, count: units.count)
            var nesting = [Int](repeating: 0, count: units.count)
            var selections = [Int](repeating: 0, count: units.count)
            for root in units.indices where marks[root] == .unvisited {
                // Depth-first, children before parents, with an explicit stack.
                var work: [(unit: Int, expanded: Bool)] = [(root, false)]
                while let (unit, expanded) = work.popLast() {
                    if expanded {
                        var deepest = units[unit].ownSelectionDepth
                        var nested = units[unit].ownNesting
                        var count = units[unit].ownSelections
                        for spread in units[unit].spreads {
                            guard let target = byName[spread.name], marks[target] == .done else { continue }
                            deepest = max(deepest, spread.fieldDepth + depth[target])
                            nested = max(nested, spread.nesting + nesting[target])
                            count = Self.saturatingAdd(count, selections[target])
                        }
                        depth[unit] = deepest
                        nesting[unit] = nested
                        selections[unit] = count
                        marks[unit] = .done
                        continue
                    }
                    guard marks[unit] == .unvisited else { continue }
                    marks[unit] = .visiting
                    work.append((unit, true))
                    for spread in units[unit].spreads {
                        guard let target = byName[spread.name] else { continue }
                        switch marks[target] {
                        case .unvisited: work.append((target, false))
                        case .visiting: scan.cyclicFragment = scan.cyclicFragment ?? spread.name
                        case .done: break
                        }
                    }
                }
            }
            for unit in units.indices {
                scan.selectionDepth = max(scan.selectionDepth, depth[unit])
                scan.nesting = max(scan.nesting, nesting[unit])
                // Fragments count where they are spread; operations count as written.
                if units[unit].fragmentName == nil {
                    scan.selections = Self.saturatingAdd(scan.selections, selections[unit])
                }
            }
            return scan
        }

        private static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int.max : sum
        }
    }

}
