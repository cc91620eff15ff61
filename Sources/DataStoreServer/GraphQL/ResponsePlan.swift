import DataStore
import GraphQL
import OrderedCollections

/// How the server answers a read or a mutation that selects only stored fields, without walking
/// the result through the GraphQL executor.
///
/// The executor resolves each field of each item on its own (a resolver call, a reflection of the
/// source value and a lock per field), which makes a page of 1,000 items cost milliseconds, and
/// turns every result into its own value type and back. Most operations clients send — `getPost`,
/// `listPosts`, `syncPosts`, `createPost`… with a selection of the model's stored fields, as
/// Amplify generates them — need none of that: the resolver's result already holds every
/// selected value.
///
/// A plan is made once per checked document, for a query or mutation with one operation whose
/// single root field is a model's `get`, `list`, `sync` or key query, or one of its mutations, and
/// whose selection uses only fields without resolvers of their own (no relation fields), no
/// fragments and no directives. To run it, the executor runs a *skeleton* of the document, the
/// same text with the root field's selection replaced by `{ __typename }`: variables and
/// arguments are coerced, and errors reported, exactly as for the full document, and the
/// resolver hands its result to a ``ResponseCapture`` instead of returning it. The plan then
/// renders the selection from that result.
///
/// Whenever a value does not fit its declared type (a null in a non-null field, say), the plan
/// gives up so that the response, errors included, is the executor's own: a read runs the full
/// document; a mutation, which must not write twice, runs it with the item its skeleton wrote,
/// which the resolver returns instead of writing (``ResolverContext/written``). A skeleton that
/// fails answers as it is: the root field's error and null are what the full document would give.
struct ResponsePlan: Sendable {
    /// The document with the root field's selection reduced to `__typename`.
    let skeleton: Document
    /// The operation's name, if it has one.
    let operationName: String?
    /// The root field's response key (its alias, or its name).
    let responseKey: String
    /// Whether the root field is a mutation.
    let writes: Bool
    /// What the root field's value renders as.
    let output: Output

    /// An output type with the selection made on it.
    indirect enum Output: Sendable {
        case nonNull(Output)
        case list(Output)
        case leaf(Leaf)
        /// An object: its type name (for `__typename`) and its selected fields in order.
        case object(typeName: String, fields: [(responseKey: String, field: Field)])
    }

    /// A selected field of an object.
    enum Field: Sendable {
        case typeName
        case value(name: String, output: Output)
    }

    /// A scalar or enum type, as the executor serializes it.
    enum Leaf: Sendable {
        case int, float, string, id, boolean
        case enumeration(Set<String>)
        /// A custom scalar (`AWSDateTime`, `AWSJSON`, …): the schema's scalars serialize values
        /// as they are.
        case custom
    }

    /// Makes a plan for `document`, or returns nil when the document needs the executor.
    ///
    /// - Parameters:
    ///   - readFields: The root query fields whose resolvers fill a ``ResponseCapture``.
    ///   - writeFields: The root mutation fields whose resolvers do.
    static func make(
        for document: Document,
        query: String,
        schema: GraphQLSchema,
        readFields: Set<String>,
        writeFields: Set<String>
    ) -> ResponsePlan? {
        guard document.definitions.count == 1, let operation = document.definitions.first as? OperationDefinition,
            operation.operation == .query || operation.operation == .mutation, operation.directives.isEmpty,
            operation.selectionSet.selections.count == 1,
            let root = operation.selectionSet.selections.first as? GraphQL.Field, root.directives.isEmpty
        else { return nil }
        let writes = operation.operation == .mutation
        guard (writes ? writeFields : readFields).contains(root.name.value),
            let selection = root.selectionSet, let location = selection.loc,
            let rootType = writes ? schema.mutationType : schema.queryType,
            let rootField = try? rootType.fields()[root.name.value],
            let output = plan(rootField.type, selection: selection, schema: schema)
        else { return nil }

        // The same text with the root field's selection replaced. The parser's locations end where
        // a node starts (it takes them before parsing the node's contents), so the selection's end
        // is found from its tokens: the brace that closes its opening one. Offsets are UTF-8.
        guard let end = closingBraceEnd(from: location.startToken) else { return nil }
        let bytes = Array(query.utf8)
        guard location.start >= 0, location.start < end, end <= bytes.count else { return nil }
        let skeletonText =
            String(decoding: bytes[..<location.start], as: UTF8.self) + "{ __typename }"
            + String(decoding: bytes[end...], as: UTF8.self)
        guard let skeleton = try? parse(source: Source(body: skeletonText, name: "GraphQL request")) else {
            return nil
        }
        return ResponsePlan(
            skeleton: skeleton,
            operationName: operation.name?.value,
            responseKey: root.alias?.value ?? root.name.value,
            writes: writes,
            output: output
        )
    }

    /// The end offset of the `}` that closes the `{` token `open`.
    private static func closingBraceEnd(from open: Token) -> Int? {
        guard open.kind == .openingBrace else { return nil }
        var depth = 0
        var token: Token? = open
        while let current = token {
            switch current.kind {
            case .openingBrace: depth += 1
            case .closingBrace:
                depth -= 1
                if depth == 0 { return current.end }
            case .eof: return nil
            default: break
            }
            token = current.next
        }
        return nil
    }

    /// The selection `selection` on `type`, or nil when it needs the executor.
    private static func plan(_ type: any GraphQLOutputType, selection: SelectionSet?, schema: GraphQLSchema) -> Output?
    {
        switch type {
        case let wrapper as GraphQLNonNull:
            guard let inner = wrapper.ofType as? any GraphQLOutputType else { return nil }
            return plan(inner, selection: selection, schema: schema).map(Output.nonNull)
        case let wrapper as GraphQLList:
            guard let inner = wrapper.ofType as? any GraphQLOutputType else { return nil }
            return plan(inner, selection: selection, schema: schema).map(Output.list)
        case let scalar as GraphQLScalarType:
            guard selection == nil else { return nil }
            switch scalar.name {
            case "Int": return .leaf(.int)
            case "Float": return .leaf(.float)
            case "String": return .leaf(.string)
            case "ID": return .leaf(.id)
            case "Boolean": return .leaf(.boolean)
            default: return .leaf(.custom)
            }
        case let enumeration as GraphQLEnumType:
            guard selection == nil else { return nil }
            return .leaf(.enumeration(Set(enumeration.values.map(\.name))))
        case let object as GraphQLObjectType:
            guard let selection, let fields = try? object.fields() else { return nil }
            var planned: [(responseKey: String, field: Field)] = []
            var keys: Set<String> = []
            for case let node in selection.selections {
                // Fragments, directives and arguments need the executor; so does a response key
                // selected twice (the executor merges the selections).
                guard let field = node as? GraphQL.Field, field.directives.isEmpty, field.arguments.isEmpty else {
                    return nil
                }
                let responseKey = field.alias?.value ?? field.name.value
                guard keys.insert(responseKey).inserted else { return nil }
                if field.name.value == "__typename" {
                    guard field.selectionSet == nil else { return nil }
                    planned.append((responseKey, .typeName))
                    continue
                }
                guard let definition = fields[field.name.value], definition.resolve == nil,
                    let output = plan(definition.type, selection: field.selectionSet, schema: schema)
                else { return nil }
                planned.append((responseKey, .value(name: field.name.value, output: output)))
            }
            return .object(typeName: object.name, fields: planned)
        default:
            return nil
        }
    }

    /// Whether this plan answers a request naming `operationName`.
    func answers(operationName requested: String?) -> Bool {
        requested == nil || requested == operationName
    }

    /// The response body for the root field's resolved value, as JSON text: `{"data":{…}}` with
    /// every object's keys in selection order, as GraphQL serializes them. Nil when a value does
    /// not fit its type (the executor then answers, with its errors).
    func response(for value: FieldValue) -> String? {
        var text = #"{"data":{"#
        FieldValue.writeJSONString(responseKey, to: &text)
        text += ":"
        guard Self.render(output, value, to: &text) else { return nil }
        text += "}}"
        return text
    }

    /// Appends `value` rendered as `output` to `text`; false when the value does not fit.
    private static func render(_ output: Output, _ value: FieldValue, to text: inout String) -> Bool {
        switch output {
        case .nonNull(let inner):
            if value == .null { return false }
            return render(inner, value, to: &text)
        case .list(let inner):
            switch value {
            case .null:
                text += "null"
                return true
            case .list(let values):
                text += "["
                for (index, element) in values.enumerated() {
                    if index > 0 { text += "," }
                    guard render(inner, element, to: &text) else { return false }
                }
                text += "]"
                return true
            default: return false
            }
        case .leaf(let leaf):
            if value == .null {
                text += "null"
                return true
            }
            guard let rendered = render(leaf, value) else { return false }
            rendered.writeJSON(to: &text)
            return true
        case .object(let typeName, let fields):
            switch value {
            case .null:
                text += "null"
                return true
            case .object(let members):
                text += "{"
                for (index, (responseKey, field)) in fields.enumerated() {
                    if index > 0 { text += "," }
                    FieldValue.writeJSONString(responseKey, to: &text)
                    text += ":"
                    switch field {
                    case .typeName:
                        FieldValue.writeJSONString(typeName, to: &text)
                    case .value(let name, let output):
                        guard render(output, members[name] ?? .null, to: &text) else { return false }
                    }
                }
                text += "}"
                return true
            default: return false
            }
        }
    }

    /// A non-null leaf value as the executor serializes it; nil for a value it would refuse or
    /// convert in a way not worth repeating here.
    private static func render(_ leaf: Leaf, _ value: FieldValue) -> FieldValue? {
        switch (leaf, value) {
        case (.int, .int(let number)):
            // GraphQL's Int is 32 bits; the executor refuses larger values.
            return Int32(exactly: number) != nil ? value : nil
        case (.int, .double(let number)):
            // A whole number stored as a Double (written under a Float field).
            return Int32(exactly: number).map { .int(Int($0)) }
        case (.float, .double(let number)):
            return number.isFinite ? value : nil
        case (.string, .string), (.id, .string), (.boolean, .bool):
            return value
        case (.float, .int(let number)):
            return .double(Double(number))
        case (.id, .int(let number)):
            return .string(String(number))
        case (.enumeration(let names), .string(let name)):
            return names.contains(name) ? value : nil
        case (.custom, .string), (.custom, .int), (.custom, .double), (.custom, .bool):
            return value
        default:
            return nil
        }
    }
}

/// The value a root resolver produced while the executor ran a ``ResponsePlan``'s skeleton.
final class ResponseCapture: Sendable {
    private let captured = Locked<FieldValue?>(nil)

    /// Keeps the root field's value.
    func keep(_ value: FieldValue) {
        captured.withLock { $0 = value }
    }

    /// The kept value, if the resolver ran.
    var value: FieldValue? {
        captured.withLock { $0 }
    }
}
