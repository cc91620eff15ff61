/// Bounds on the GraphQL documents a server accepts: HTTP requests and real-time `start` payloads.
///
/// An API key is not a secret (every app that talks to the server ships it), so every document is
/// treated as hostile. GraphQL's parser and validator recurse over a document's nesting and some
/// of validation's rules compare selections pairwise; left unbounded, a few kilobytes nested deep
/// overflow the stack and a few hundred kilobytes of aliases cost gigabytes. These limits are
/// checked by `DocumentScan`, one linear pass over the query text that never recurses, before
/// GraphQL sees the document. A request over a limit is refused with a `BadRequestException`
/// whose message names the limit, and whose `errorInfo` carries `limit`, `allowed` and `found`.
///
/// The defaults leave room for any document an Amplify client sends (a sync query of a model
/// with hundreds of fields, filters of nested predicate groups) while bounding the work of one
/// request. Raise one when a legitimate client meets it:
///
/// ```swift
/// var options = ServerOptions()
/// options.documentLimits.maximumSelections = 5_000
/// ```
public struct DocumentLimits: Sendable, Equatable {
    /// The longest query text, in UTF-8 bytes.
    public var maximumLength = 64 * 1024
    /// The most lexical tokens (names, punctuators, numbers, strings) in the query text.
    public var maximumTokens = 10_000
    /// The deepest field selection: `{ listPosts { items { id } } }` nests 3 deep. Fragment spreads
    /// count the fields of the fragment at the depth of the spread.
    public var maximumSelectionDepth = 12
    /// The deepest list or object value in an argument, a default value or a request's variables:
    /// `filter: {and: [{title: {eq: "x"}}]}` nests 4 deep.
    public var maximumValueDepth = 24
    /// The deepest nesting of braces, brackets and parentheses of any kind, fragment spreads
    /// included: a bound on the recursion of every step after this check.
    public var maximumNesting = 64
    /// The most fields a document selects, counting a fragment's fields once for every place it
    /// is spread.
    public var maximumSelections = 2_000
    /// The most aliases in a document.
    public var maximumAliases = 100
    /// The most directives (`@include`, `@skip`, …) in a document.
    public var maximumDirectives = 50
    /// The most items one request may read, over all the pages its list, sync, key and relation
    /// fields return (`a: listPosts(limit: 1000) … b: listPosts(limit: 1000) …`, or each post's
    /// comments): the bound on what one request makes the server hold and send. Counted as the
    /// fields resolve; the field that passes it fails with a `BadRequestException`.
    public var maximumItems = 10_000

    /// The defaults.
    public init() {}

    /// The names of the limits, as ``subscript(named:)`` and error messages spell them.
    public static let names = [
        "maximumLength", "maximumTokens", "maximumSelectionDepth", "maximumValueDepth", "maximumNesting",
        "maximumSelections", "maximumAliases", "maximumDirectives", "maximumItems",
    ]

    /// A limit by its name (`maximumSelections`), for settings read from a command line or a file;
    /// nil for a name that is not a limit (setting one does nothing).
    public subscript(named name: String) -> Int? {
        get {
            switch name {
            case "maximumLength": maximumLength
            case "maximumTokens": maximumTokens
            case "maximumSelectionDepth": maximumSelectionDepth
            case "maximumValueDepth": maximumValueDepth
            case "maximumNesting": maximumNesting
            case "maximumSelections": maximumSelections
            case "maximumAliases": maximumAliases
            case "maximumDirectives": maximumDirectives
            case "maximumItems": maximumItems
            default: nil
            }
        }
        set {
            guard let newValue else { return }
            switch name {
            case "maximumLength": maximumLength = newValue
            case "maximumTokens": maximumTokens = newValue
            case "maximumSelectionDepth": maximumSelectionDepth = newValue
            case "maximumValueDepth": maximumValueDepth = newValue
            case "maximumNesting": maximumNesting = newValue
            case "maximumSelections": maximumSelections = newValue
            case "maximumAliases": maximumAliases = newValue
            case "maximumDirectives": maximumDirectives = newValue
            case "maximumItems": maximumItems = newValue
            default: break
            }
        }
    }
}
