import DataStore
import DataStoreAppSync
import GraphQL

/// Checking a request's document: the limits, parsing, validation and the document cache.
extension GraphQLAPI {
    /// Why a request's document cannot run.
    enum DocumentProblem: Error {
        /// Syntax or validation errors, as GraphQL reports them.
        case graphQL([GraphQLError])
        /// A limit of this server (the depth limit) or an unreadable query.
        case server(AppSyncError)
    }

    /// Checks a request's query against ``limits`` (a linear scan that never recurses), then
    /// parses and validates it against the API.
    func checkedDocument(_ query: String) throws(DocumentProblem) -> CheckedDocument {
        if let document = documents.document(for: query) { return document }
        if let problem = Self.limitProblem(DocumentScan(query), limits) { throw .server(problem) }
        let document: Document
        do {
            document = try parse(source: Source(body: query, name: "GraphQL request"))
        } catch let error as GraphQLError {
            throw .graphQL([error])
        } catch {
            throw .server(.badRequest("The query could not be parsed: \(error)."))
        }
        // GraphQL's rules print compound literals in their messages, at a cost exponential in
        // their nesting: such literals are refused first (see CompoundLiteralRule).
        let literalProblems = validate(schema: schema, ast: document, rules: [CompoundLiteralRule.rule])
        if !literalProblems.isEmpty { throw .graphQL(literalProblems) }
        let problems = validate(schema: schema, ast: document)
        if !problems.isEmpty { throw .graphQL(problems) }
        let checked = CheckedDocument(
            document: document,
            plan: readFields.isEmpty && writeFields.isEmpty
                ? nil
                : ResponsePlan.make(
                    for: document,
                    query: query,
                    schema: schema,
                    readFields: readFields,
                    writeFields: writeFields
                )
        )
        documents.store(checked, for: query)
        return checked
    }

    /// The refusal of request variables holding lists or objects nested deeper than
    /// ``DocumentLimits/maximumValueDepth`` (found without recursion).
    static func variablesProblem(_ variables: [String: FieldValue], _ limits: DocumentLimits) -> AppSyncError? {
        var deepest = 0
        var pending: [(value: FieldValue, depth: Int)] = variables.values.map { ($0, 0) }
        while let (value, depth) = pending.popLast() {
            switch value {
            case .list(let values):
                deepest = max(deepest, depth + 1)
                pending.append(contentsOf: values.lazy.map { ($0, depth + 1) })
            case .object(let members):
                deepest = max(deepest, depth + 1)
                pending.append(contentsOf: members.values.lazy.map { ($0, depth + 1) })
            default:
                continue
            }
        }
        guard deepest > limits.maximumValueDepth else { return nil }
        return AppSyncError(
            .badRequest,
            "The request's variables nest a list or object value \(deepest) levels deep; this server allows "
                + "\(limits.maximumValueDepth) (DocumentLimits.maximumValueDepth).",
            errorInfo: [
                "limit": "maximumValueDepth", "allowed": .int(limits.maximumValueDepth), "found": .int(deepest),
            ]
        )
    }

    /// The refusal of a document whose scan exceeds a limit, or spreads a fragment within itself.
    static func limitProblem(_ scan: DocumentScan, _ limits: DocumentLimits) -> AppSyncError? {
        if let (limit, allowed, found) = scan.exceeded(limits) {
            let what =
                switch limit {
                case "maximumLength": "The query is \(found) bytes long"
                case "maximumTokens": "The query has \(found) tokens"
                case "maximumNesting": "The query nests brackets \(found) levels deep (fragments included)"
                case "maximumSelectionDepth": "The query nests selections \(found) levels deep (fragments included)"
                case "maximumValueDepth": "The query nests a list or object value \(found) levels deep"
                case "maximumSelections": "The query selects \(found) fields (each fragment counted where it is spread)"
                case "maximumAliases": "The query has \(found) aliases"
                default: "The query has \(found) directives"
                }
            return AppSyncError(
                .badRequest,
                "\(what); this server allows \(allowed) (DocumentLimits.\(limit)), \(found - allowed) too many.",
                errorInfo: ["limit": .string(limit), "allowed": .int(allowed), "found": .int(found)]
            )
        }
        if let fragment = scan.cyclicFragment {
            return .badRequest("Cannot spread fragment \"\(fragment)\" within itself.")
        }
        return nil
    }
}
