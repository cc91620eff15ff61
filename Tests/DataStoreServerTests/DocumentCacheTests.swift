import DataStore
import GraphQL
import Testing

@testable import DataStoreServer

@Suite("Checked documents are cached by query text")
struct DocumentCacheTests {
    /// A document for `query`, parsed but not validated (the cache does not look inside).
    private func parsed(_ query: String) throws -> CheckedDocument {
        CheckedDocument(document: try parse(source: Source(body: query, name: "test")), plan: nil)
    }

    @Test("the cache keeps at most its capacity, and recently used documents survive eviction")
    func bounded() throws {
        let cache = DocumentCache(capacity: 4)
        let queries = (0..<4).map { "{ q\($0) }" }
        for query in queries { cache.store(try parsed(query), for: query) }
        #expect(cache.count == 4)
        // q0 and q1 are in the older generation; using q0 moves it into the newer one, which
        // pushes q2 and q3 to the older generation and drops q1.
        #expect(cache.document(for: queries[0]) != nil)
        #expect(cache.document(for: queries[1]) == nil)
        #expect(cache.document(for: queries[2]) != nil)
        #expect(cache.document(for: queries[3]) != nil)
        for index in 4..<40 {
            let query = "{ q\(index) }"
            cache.store(try parsed(query), for: query)
            #expect(cache.count <= 4)
            #expect(cache.document(for: query) != nil)
        }
        #expect(cache.document(for: queries[0]) == nil)
    }

    @Test("a query longer than the limit is not kept")
    func longQueries() throws {
        let cache = DocumentCache(capacity: 8, maximumQueryLength: 32)
        let long = "{ " + String(repeating: "a ", count: 20) + "}"
        cache.store(try parsed(long), for: long)
        #expect(cache.document(for: long) == nil)
        cache.store(try parsed("{ a }"), for: "{ a }")
        #expect(cache.document(for: "{ a }") != nil)
    }

    @Test("a repeated operation runs with each request's own variables")
    func repeatedOperations() async throws {
        let api = try GraphQLAPI(dataSource: try makeDataSource())
        let mutation = "mutation M($input: CreatePostInput!) { createPost(input: $input) { id title _version } }"
        for index in 0..<3 {
            let (_, response) = await api.execute(
                [
                    "query": .string(mutation),
                    "variables": ["input": ["id": .string("p\(index)"), "title": .string("Title \(index)")]],
                ]
            )
            #expect(response["errors"] == nil)
            #expect(response["data"]?["createPost"]?["title"] == .string("Title \(index)"))
        }
        #expect(api.documents.count == 1)
        let (_, list) = await api.execute(["query": "{ listPosts { items { id } } }"])
        guard case .list(let items)? = list["data"]?["listPosts"]?["items"] else {
            Issue.record("no items in \(list)")
            return
        }
        #expect(items.count == 3)
    }

    @Test("documents that fail parsing, validation or the depth limit fail every time and are not kept")
    func failuresAreNotCached() async throws {
        var limits = DocumentLimits()
        limits.maximumSelectionDepth = 3
        let api = try GraphQLAPI(dataSource: try makeDataSource(), limits: limits)
        let deep = "{ listComments { items { post { comments { items { id } } } } } }"
        for query in ["{ listPosts { items { id ", "{ listPosts { items { nope } } }", deep] {
            for _ in 0..<2 {
                let (_, response) = await api.execute(["query": .string(query)])
                #expect(response["errors"] != nil, "\(query)")
                #expect(response["data"] == nil || response["data"] == .null, "\(query)")
            }
        }
        #expect(api.documents.count == 0)
    }
}
