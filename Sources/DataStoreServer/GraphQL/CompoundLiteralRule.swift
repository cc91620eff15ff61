import GraphQL

/// A validation rule run before GraphQL's own: it refuses a list or object literal where the
/// schema expects a value of another kind (`title: {eq: {a: {a: …}}}`, `limit: [[1]]`).
///
/// GraphQL's rule for such literals reports them with the literal printed in the message, and
/// GraphQLSwift's printer prints a list or object twice whenever its one-line form passes 80
/// characters (once to measure the line, again to lay it out over several), so printing a
/// literal nested `n` deep costs 2^n: about 150 bytes nested two dozen deep took seconds, and a
/// handful of such requests stalled the server (upstream: the `ListValue` and `ObjectValue`
/// printers in `Language/Printer.swift` of GraphQLSwift 4.3.0 build their children's text twice;
/// reported in Docs/Server.md). Refusing these literals here, with a message that quotes at most
/// a few dozen bytes of the query's text, leaves GraphQL's rule nothing to print but scalars.
///
/// Literals at positions the schema does not know (an unknown argument or field) are left to
/// GraphQL, which reports them without printing them. Custom scalars (`AWSJSON`, …) take any
/// literal and are left alone too.
enum CompoundLiteralRule {
    static func rule(_ context: ValidationContext) -> Visitor {
        Visitor(enter: { node, _, _, _, _ in
            switch node.kind {
            case .listValue:
                // Inside a list the input type is its item type; the list's own is the parent's.
                guard let expected = context.parentInputType, !(nullable(expected) is GraphQLList),
                    !acceptsAnyLiteral(expected)
                else { return .continue }
                report(context, node, expected, "a list")
                return .skip
            case .objectValue:
                guard let expected = context.inputType, !(getNamedType(type: expected) is GraphQLInputObjectType),
                    !acceptsAnyLiteral(expected)
                else { return .continue }
                report(context, node, expected, "an object")
                return .skip
            default:
                return .continue
            }
        })
    }

    private static func nullable(_ type: any GraphQLInputType) -> any GraphQLType {
        (type as? GraphQLNonNull)?.ofType ?? type
    }

    /// Custom scalars built from the schema take any literal (their values are checked later).
    private static func acceptsAnyLiteral(_ type: any GraphQLInputType) -> Bool {
        guard let scalar = getNamedType(type: type) as? GraphQLScalarType else { return false }
        return !["Int", "Float", "String", "Boolean", "ID", "AWSTimestamp"].contains(scalar.name)
    }

    private static func report(
        _ context: ValidationContext,
        _ node: any Node,
        _ expected: any GraphQLInputType,
        _ kind: String
    ) {
        context.report(
            error: GraphQLError(
                message: "Expected value of type \"\(expected)\", found \(kind): \(excerpt(node)).",
                nodes: [node]
            )
        )
    }

    /// The start of `node`'s text in the query, at most 40 bytes.
    static func excerpt(_ node: any Node) -> String {
        guard let location = node.loc else { return "…" }
        let body = location.source.body.utf8
        let start = min(max(location.startToken.start, 0), body.count)
        let end = min(max(location.end, location.endToken.end, start), body.count, start + 40)
        let from = body.index(body.startIndex, offsetBy: start)
        let text = String(decoding: body[from..<body.index(from, offsetBy: end - start)], as: UTF8.self)
        return end < location.end ? text + "…" : text
    }
}
