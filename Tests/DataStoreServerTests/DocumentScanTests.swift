import DataStore
import DataStoreAppSync
import DataStoreTestSupport
import DataStoreTesting
import Testing

@testable import DataStoreServer

@Suite("Document scan: the linear pre-check before GraphQL parses")
struct DocumentScanTests {
    @Test("a sync query's measures")
    func syncQuery() {
        let scan = DocumentScan(
            """
            query SyncPosts($filter: ModelPostFilterInput, $limit: Int, $nextToken: String, $lastSync: AWSTimestamp) {
              syncPosts(filter: $filter, limit: $limit, nextToken: $nextToken, lastSync: $lastSync) {
                items { id title rating _version _deleted _lastChangedAt __typename }
                nextToken
                startedAt
              }
            }
            """
        )
        #expect(scan.selectionDepth == 3)
        #expect(scan.selections == 11)
        #expect(scan.valueDepth == 0)
        #expect(scan.nesting == 3)
        #expect(scan.aliases == 0)
        #expect(scan.directives == 0)
        #expect(scan.cyclicFragment == nil)
        #expect(scan.exceeded(DocumentLimits()) == nil)
    }

    @Test(
        "selection depth counts fields, not inline fragments, and expands fragments where they are spread",
        arguments: [
            ("{ a }", 1),
            ("{ a { b { c } } }", 3),
            ("{ a(x: {y: {z: 1}}) { b } }", 2),
            ("{ a { ... on T { b { c } } } }", 3),
            ("{ a { ... @include(if: true) { b } } }", 2),
            ("{ a { ... { b } } }", 2),
            ("{ a { ...F } } fragment F on T { b { c } }", 3),
            ("fragment F on T { b { ...G } } { a { ...F } } fragment G on T { c { d } }", 4),
            ("{ x: a { y: b @skip(if: false) { c } } }", 3),
            ("query Q($v: [[Int]] = [[1]]) @dir(a: {b: 1}) { a(v: $v) { b } }", 2),
        ]
    )
    func selectionDepth(query: String, depth: Int) {
        #expect(DocumentScan(query).selectionDepth == depth, "\(query)")
    }

    @Test(
        "values: depth inside arguments, variable definitions and directive arguments",
        arguments: [
            ("{ a(filter: {and: [{title: {eq: \"x\"}}]}) { b } }", 4),
            ("{ a(x: [[[1]]], y: {z: 2}) { b } }", 3),
            ("query ($f: F = {a: [{b: 1}]}) { a }", 3),
            ("{ a @dir(x: [[1]]) }", 2),
            ("{ a(x: \"{[[[[\") }", 0),
            ("{ a(x: \"\"\"[[[{{\\\"\"\"]]] \"\"\") }", 0),
            ("{ a # ([[[[[{{{{\n }", 0),
        ]
    )
    func valueDepth(query: String, depth: Int) {
        #expect(DocumentScan(query).valueDepth == depth, "\(query)")
    }

    @Test("selections count each fragment wherever it is spread; aliases and directives are counted")
    func selections() {
        let scan = DocumentScan(
            """
            { a: posts { ...F ...F } b: posts @include(if: true) { ...F } }
            fragment F on Post { id title c: rating }
            """
        )
        #expect(scan.selections == 2 + 3 * 3)
        #expect(scan.aliases == 3)
        #expect(scan.directives == 1)
    }

    @Test("fragments that double at each level count exponentially, without expanding them")
    func fragmentBomb() {
        var query = "{ ...F0 }\n"
        for level in 0..<60 { query += "fragment F\(level) on Query { ...F\(level + 1) ...F\(level + 1) }\n" }
        query += "fragment F60 on Query { __typename }"
        let scan = DocumentScan(query)
        #expect(scan.selections == Int.max || scan.selections == 1 << 60)
        #expect(scan.exceeded(DocumentLimits())?.limit == "maximumSelections")
    }

    @Test("a long chain of fragments nests as deep as the chain, found without recursion")
    func fragmentChain() {
        var query = "{ ...F0 }\n"
        for level in 0..<20_000 { query += "fragment F\(level) on Query { ...F\(level + 1) }\n" }
        query += "fragment F20000 on Query { __typename }"
        let scan = DocumentScan(query)
        #expect(scan.nesting > 20_000)
        #expect(scan.cyclicFragment == nil)
    }

    @Test("a fragment that spreads itself is named")
    func cycles() {
        #expect(DocumentScan("{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }").cyclicFragment != nil)
        #expect(DocumentScan("{ ...A } fragment A on Q { ...A }").cyclicFragment == "A")
        #expect(DocumentScan("{ ...A ...A } fragment A on Q { ...B } fragment B on Q { x }").cyclicFragment == nil)
    }

    @Test(
        "each limit is reported by name, with what was allowed and found",
        arguments: [
            ("maximumLength", "{ a }" + String(repeating: " ", count: 70_000)),
            ("maximumTokens", "{ " + String(repeating: "a ", count: 10_001) + "}"),
            ("maximumNesting", String(repeating: "{", count: 1_000)),
            ("maximumSelectionDepth", String(repeating: "{ a ", count: 13) + String(repeating: "}", count: 13)),
            (
                "maximumValueDepth",
                "{ a(x: " + String(repeating: "[", count: 30) + String(repeating: "]", count: 30) + ") }"
            ),
            ("maximumSelections", "{ " + String(repeating: "a ", count: 2_001) + "}"),
            ("maximumAliases", "{ " + (0..<101).map { "a\($0): a " }.joined() + "}"),
            ("maximumDirectives", "{ a " + String(repeating: "@skip(if: false) ", count: 51) + "}"),
        ]
    )
    func limits(limit: String, query: String) throws {
        let exceeded = try #require(DocumentScan(query).exceeded(DocumentLimits()))
        #expect(exceeded.limit == limit)
        #expect(exceeded.found > exceeded.allowed)
        let problem = try #require(GraphQLAPI.limitProblem(DocumentScan(query), DocumentLimits()))
        #expect(problem.errorType == .badRequest)
        #expect(problem.message.contains("DocumentLimits.\(limit)"))
        #expect(problem.errorInfo?["limit"] == .string(limit))
    }

    @Test("garbage scans in one pass without trapping: unbalanced brackets, stray bytes, unterminated strings")
    func garbage() {
        for query in [
            "}}}]]]))){", "\"unterminated", "\"\"\"block", "...", "-", "1e+", "\u{FEFF}{ a }", "{ a: : : }", "@@@",
            "fragment", "fragment F", "query (", "\\", "\0\u{1}\u{7F}", "{ a(x: \"\\", "é{ü}",
        ] {
            let scan = DocumentScan(query)
            #expect(scan.length == query.utf8.count)
        }
        let seed = SeededRandom.seed(named: "document scan garbage")
        print("document scan garbage: DATASTORE_TEST_SEED=\(seed)")
        var random = SeededRandom(seed: seed)
        let alphabet = Array("{}[]()\"#.:@$!=,|&-e1 \nabcon\\".utf8)
        for _ in 0..<2_000 {
            let bytes = (0..<Int(random.next() % 64)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            _ = DocumentScan(String(decoding: bytes, as: UTF8.self))
        }
    }
}
