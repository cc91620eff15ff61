import DataStore
import DataStoreServerTesting
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreServer

/// What a key-holder can send, tried as an attacker would: every request gets a well-formed
/// answer (the hang detector is each exchange's time limit), the server answers a normal query
/// afterwards, and nothing stored changes.
@Suite("Hostile input: nothing crashes, hangs or changes the server")
struct HostileInputTests {
    /// A POST of `body` to /graphql with the test key, closing the connection after the answer.
    static func post(_ body: String, apiKey: String = "da2-test-key") -> [UInt8] {
        let bytes = Array(body.utf8)
        let head =
            "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: \(apiKey)\r\n"
            + "content-type: application/json\r\ncontent-length: \(bytes.count)\r\nconnection: close\r\n\r\n"
        return Array(head.utf8) + bytes
    }

    static func request(_ query: String, variables: FieldValue = [:]) -> [UInt8] {
        post(FieldValue.object(["query": .string(query), "variables": variables]).jsonText)
    }

    /// The server still answers, and holds exactly the one post the test stored before.
    static func expectHealthy(_ server: TestServer, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let exchange = try await RawConnection.exchange(
            port: server.port,
            [request("{ listPosts { items { id title } } }")]
        )
        #expect(exchange.status == 200, sourceLocation: sourceLocation)
        let body = try FieldValue(jsonText: exchange.body)
        #expect(
            body["data"]?["listPosts"]?["items"] == [["id": "p1", "title": "kept"]],
            "\(exchange.text.prefix(300))",
            sourceLocation: sourceLocation
        )
    }

    static func withServer(
        options: ServerOptions = ServerOptions(),
        _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        try await withTestServer(schema: testSchema, options: options) { server in
            _ = try await server.dataSource.create("Post", input: ["id": "p1", "title": "kept"], condition: nil)
            try await body(server)
            try await expectHealthy(server)
        }
    }

    static func text(_ value: FieldValue?) -> String {
        if case .string(let text)? = value { return text }
        return ""
    }

    static func nest(_ depth: Int, _ open: String, _ inner: String, _ close: String) -> String {
        String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
    }

    // MARK: Documents

    /// Documents of a few kilobytes nested thousands deep: each overflowed the stack in GraphQL's
    /// parser or validator before the pre-check.
    static let deepDocumentCases: [(String, String)] = [
        ("selections", nest(5_000, "{ a ", "", "}")),
        ("inline fragments", "{ listPosts " + nest(5_000, "{ ... on ModelPostConnection ", "items { id }", "}") + " }"),
        ("list literal", "{ listPosts(limit: " + nest(20_000, "[", "1", "]") + ") { items { id } } }"),
        (
            "object literal",
            "{ listPosts(filter: " + nest(5_000, "{and: ", "{title: {eq: \"x\"}}", "}") + ") { items { id } } }"
        ),
        ("list type", "query Q($v: " + nest(20_000, "[", "Int", "]") + ") { listPosts { items { id } } }"),
        ("default value", "query Q($v: Int = " + nest(20_000, "[", "1", "]") + ") { listPosts { items { id } } }"),
        ("directive argument", "{ listPosts @include(if: " + nest(20_000, "[", "true", "]") + ") { items { id } } }"),
        (
            "fragment chain",
            "{ ...F0 }\n" + (0..<4_000).map { "fragment F\($0) on Query { ...F\($0 + 1) }\n" }.joined()
                + "fragment F4000 on Query { __typename }"
        ),
        (
            "fragment bomb",
            "{ ...F0 }\n" + (0..<40).map { "fragment F\($0) on Query { ...F\($0 + 1) ...F\($0 + 1) }\n" }.joined()
                + "fragment F40 on Query { __typename }"
        ),
        ("aliases", "{ " + (0..<10_000).map { "a\($0): __typename " }.joined() + "}"),
        ("directives", "{ __typename " + String(repeating: "@skip(if: false) ", count: 5_000) + "}"),
        ("long query", "{ __typename " + String(repeating: "# padding\n", count: 10_000) + "}"),
    ]

    @Test("deep, wide and long documents are refused with the limit they exceed")
    func deepDocuments() async throws {
        // One server for all the cases: a server per case was most of this suite's cost under
        // ThreadSanitizer, where every test shares two cores.
        try await Self.withServer { server in
            for (name, query) in Self.deepDocumentCases {
                let exchange = try await RawConnection.exchange(port: server.port, [Self.request(query)])
                #expect(exchange.closed)
                #expect(exchange.status == 200)
                let body = try FieldValue(jsonText: exchange.body)
                guard case .list(let errors)? = body["errors"], let error = errors.first else {
                    Issue.record("\(name): no errors in \(exchange.text.prefix(300))")
                    continue
                }
                #expect(error["errorType"] == "BadRequestException", "\(name): \(error)")
                #expect(error["errorInfo"]?["limit"] != nil || Self.text(error["message"]).contains("within itself"))
            }
        }
    }

    /// Literals whose error message GraphQLSwift printed in time exponential in their nesting.
    static let exponentialLiteralCases: [(String, String)] = [
        (
            "object where a String goes",
            "{ listPosts(filter: {title: {eq: " + nest(22, "{a: ", "1", "}") + "}}) { items { id } } }"
        ),
        (
            "object where an enum goes",
            "{ listPosts(filter: {status: {eq: " + nest(22, "{a: ", "1", "}") + "}}) { items { id } } }"
        ),
        ("object where an Int goes", "{ listPosts(limit: " + nest(22, "{a: ", "1", "}") + ") { items { id } } }"),
        (
            "long lists where a String goes",
            "{ listPosts(filter: {title: {eq: "
                + nest(22, "[", "\"" + String(repeating: "x", count: 100) + "\"", "]") + "}}) { items { id } } }"
        ),
        (
            "object in a mutation's input",
            "mutation { createPost(input: {title: " + nest(22, "{a: ", "1", "}") + "}) { id } }"
        ),
        (
            "object as a default value",
            "query Q($f: String = " + nest(22, "{a: ", "1", "}") + ") { listPosts { items { id } } }"
        ),
        (
            "object as a directive argument",
            "{ listPosts @include(if: " + nest(22, "{a: ", "1", "}") + ") { items { id } } }"
        ),
    ]

    @Test("literals of the wrong kind are refused quoting a few bytes of them")
    func exponentialLiterals() async throws {
        try await Self.withServer { server in
            for (name, query) in Self.exponentialLiteralCases {
                // Two at once, as the attack did: both answered, and the server with them.
                async let first = RawConnection.exchange(port: server.port, [Self.request(query)])
                async let second = RawConnection.exchange(port: server.port, [Self.request(query)])
                for exchange in try await [first, second] {
                    #expect(exchange.closed, "\(name)")
                    let body = try FieldValue(jsonText: exchange.body)
                    guard case .list(let errors)? = body["errors"],
                        case .string(let message)? = errors.first?["message"]
                    else {
                        Issue.record("\(name): no errors in \(exchange.text.prefix(300))")
                        continue
                    }
                    #expect(message.utf8.count < 300, "\(name): \(message)")
                }
            }
        }
    }

    @Test("variables nested deeper than the value limit are refused before coercion")
    func deepVariables() async throws {
        try await Self.withServer { server in
            var value: FieldValue = ["title": ["eq": "x"]]
            for _ in 0..<100 { value = ["and": [value]] }
            let exchange = try await RawConnection.exchange(
                port: server.port,
                [
                    Self.request(
                        "query Q($f: ModelPostFilterInput) { listPosts(filter: $f) { items { id } } }",
                        variables: ["f": value]
                    )
                ]
            )
            let body = try FieldValue(jsonText: exchange.body)
            #expect(body["errors"]?[0]?["errorInfo"]?["limit"] == "maximumValueDepth", "\(exchange.text.prefix(300))")
        }
    }

    @Test("JSON bodies nested deep are refused: past the parser's 512 levels as not JSON, below as deep variables")
    func deepJSON() async throws {
        try await Self.withServer { server in
            for depth in [100_000, 500] {
                let variables = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                let body = #"{"query": "{ __typename }", "variables": {"v": "# + variables + "}}"
                let exchange = try await RawConnection.exchange(port: server.port, [Self.post(body)])
                #expect(exchange.status == (depth > 512 ? 400 : 200), "\(exchange.text.prefix(300))")
                let answer = try FieldValue(jsonText: exchange.body)
                #expect(answer["errors"]?[0]?["errorType"] == "BadRequestException", "\(exchange.text.prefix(300))")
            }
        }
    }

    @Test("random documents of brackets, names, strings and punctuation always get an answer")
    func randomDocuments() async throws {
        let seed = SeededRandom.seed(named: "hostile random documents")
        print("HostileInputTests.randomDocuments seed: \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        let pieces = [
            "{", "}", "[", "]", "(", ")", ":", "...", "@", "$", "=", "!", ",", " ", "\n", "\"s\"", "\"\"\"b\"\"\"",
            "1", "-2.5e3", "on", "query", "mutation", "subscription", "fragment", "F", "listPosts", "items", "id",
            "title", "filter", "and", "or", "not", "eq", "limit", "createPost", "input", "true", "null", "#c\n",
            "__typename", "Post", "\u{FEFF}", "é", "\\",
        ]
        var queries: [String] = []
        for _ in 0..<120 {
            var query = ""
            let shape = random.pick(["flat", "deep", "wide"])
            let count = Int.random(in: 1...(shape == "flat" ? 60 : 400), using: &random)
            for _ in 0..<count {
                if shape == "deep", random.chance(0.5) {
                    query += random.pick(["{ a ", "[", "(x: ", "{and: "])
                } else {
                    query += random.pick(pieces)
                }
            }
            queries.append(query)
        }
        try await Self.withServer { [queries] server in
            for query in queries {
                let response = await server.application.api.execute(["query": .string(query)])
                #expect(response.status == 200 || response.status == 400, "\(query)")
                #expect(response.response["errors"] != nil || response.response["data"] != nil, "\(query)")
            }
        }
    }

    @Test("a request that reads more items than its budget fails at the field that passes it")
    func itemBudget() async throws {
        let dataSource = try makeDataSource()
        var limits = DocumentLimits()
        limits.maximumItems = 50
        let api = try GraphQLAPI(dataSource: dataSource, limits: limits)
        for index in 0..<30 {
            _ = try await dataSource.create("Post", input: ["id": .string("p\(index)"), "title": "t"], condition: nil)
            _ = try await dataSource.create(
                "Comment",
                input: ["content": "c", "postCommentsId": .string("p\(index)")],
                condition: nil
            )
        }
        let page = "listPosts(limit: 20) { items { id } }"
        let (_, response) = await api.execute(["query": .string("{ a: \(page) b: \(page) c: \(page) }")])
        // Root query fields resolve concurrently: whichever page came third passed the budget.
        let pages = ["a", "b", "c"].map { response["data"]?[$0] }
        #expect(pages.filter { $0?["items"] != nil }.count == 2, "\(response)")
        #expect(pages.filter { $0 == .null }.count == 1, "\(response)")
        #expect(response["errors"]?[0]?["errorInfo"]?["limit"] == "maximumItems", "\(response)")
        // Nested pages count too: 30 posts and their comments, 60 items.
        let (_, nested) = await api.execute([
            "query": "{ listPosts(limit: 100) { items { id comments { items { id } } } } }"
        ])
        #expect(nested["errors"]?[0]?["errorInfo"]?["limit"] == "maximumItems", "\(nested)")
        // Within the budget nothing changes.
        let (_, within) = await api.execute(["query": .string("{ a: \(page) b: \(page) }")])
        #expect(within["errors"] == nil)
    }

    // MARK: Values

    static let integerCases: [(String, FieldValue, Bool)] = [
        ("{ listPosts(limit: 1.5) { items { id } } }", [:], false),
        ("{ listPosts(limit: \"5\") { items { id } } }", [:], false),
        ("{ listPosts(limit: 2147483648) { items { id } } }", [:], false),
        ("{ listPosts(limit: 99999999999999999999999) { items { id } } }", [:], false),
        ("{ listPosts(limit: 5) { items { id } } }", [:], true),
        ("query Q($l: Int) { listPosts(limit: $l) { items { id } } }", ["l": 1.5], false),
        ("query Q($l: Int) { listPosts(limit: $l) { items { id } } }", ["l": 2_147_483_648], false),
        ("query Q($l: Int) { listPosts(limit: $l) { items { id } } }", ["l": "5"], false),
        ("query Q($l: Int) { listPosts(limit: $l) { items { id } } }", ["l": 5.0], true),
        ("query Q($r: Int) { listPosts(filter: {rating: {gt: $r}}) { items { id } } }", ["r": -2_147_483_648], true),
        ("query Q($r: Int) { listPosts(filter: {rating: {gt: $r}}) { items { id } } }", ["r": -2_147_483_649], false),
        ("{ listPosts(filter: {rating: {gt: -2147483649}}) { items { id } } }", [:], false),
        ("{ syncPosts(lastSync: 1.5) { items { id } } }", [:], false),
        ("{ syncPosts(lastSync: \"yesterday\") { items { id } } }", [:], false),
        ("{ syncPosts(lastSync: {a: 1}) { items { id } } }", [:], false),
        ("{ syncPosts(lastSync: 1790000000000) { items { id } } }", [:], true),
        ("query Q($t: AWSTimestamp) { syncPosts(lastSync: $t) { items { id } } }", ["t": 1.5], false),
        ("query Q($t: AWSTimestamp) { syncPosts(lastSync: $t) { items { id } } }", ["t": 1_790_000_000_000], true),
        ("{ listPosts(filter: {rating: {gt: 1e999}}) { items { id } } }", [:], false),
    ]

    @Test("Int and AWSTimestamp take integers of their width only, in literals and in variables")
    func strictIntegers() async throws {
        let api = try GraphQLAPI(dataSource: try makeDataSource())
        for (query, variables, accepted) in Self.integerCases {
            let (_, response) = await api.execute(["query": .string(query), "variables": variables])
            #expect((response["errors"] == nil) == accepted, "\(query) \(variables): \(response)")
        }
    }

    @Test("a mutation with a non-integral _version is refused and changes nothing")
    func fractionalVersion() async throws {
        let dataSource = try makeDataSource()
        let api = try GraphQLAPI(dataSource: dataSource)
        _ = try await dataSource.create("Post", input: ["id": "p1", "title": "kept"], condition: nil)
        let (_, response) = await api.execute([
            "query": "mutation { updatePost(input: {id: \"p1\", title: \"changed\", _version: 1.5}) { id _version } }"
        ])
        #expect(response["errors"] != nil)
        #expect(try await dataSource.get("Post", key: ["id": "p1"])?["title"] == "kept")
    }

    // MARK: HTTP

    static let malformedRequestCases: [(String, String, Int)] = [
        ("unknown method", "FOO /graphql HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        ("unsupported version", "POST /graphql HTTP/7.3\r\nHost: x\r\n\r\n", 505),
        ("garbage request line", "\u{1}\u{2}nonsense\r\n\r\n", 501),
        ("header without a colon", "POST /graphql HTTP/1.1\r\nHost x\r\n\r\n", 400),
        ("header with a control byte", "POST /graphql HTTP/1.1\r\nHost: x\u{1}y\r\n\r\n", 400),
        (
            "100 KB header",
            "POST /graphql HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n", 431
        ),
        (
            "two lengths", "POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!",
            400
        ),
        ("invalid length", "POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-length: abc\r\n\r\n", 400),
        (
            "length and chunked",
            "POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 400
        ),
        ("bad chunk size", "POST /graphql HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", 400),
    ]

    @Test("malformed HTTP is answered as RFC 9112 says, then the connection closes")
    func malformedHTTP() async throws {
        try await Self.withServer { server in
            for (name, request, status) in Self.malformedRequestCases {
                let exchange = try await RawConnection.exchange(port: server.port, request)
                #expect(exchange.status == status, "\(name): \(exchange.text.prefix(200))")
                #expect(exchange.closed, "\(name)")
                #expect(exchange.text.lowercased().contains("connection: close"), "\(name)")
                let body = try FieldValue(jsonText: exchange.body)
                #expect(body["errors"]?[0]?["errorType"] == "BadRequestException", "\(name)")
            }
        }
    }

    @Test("a connection that sends no request head in time gets 408 and is closed")
    func headerTimeout() async throws {
        var options = ServerOptions()
        options.headerTimeout = .milliseconds(200)
        // No health check on this server: under load (ThreadSanitizer) a whole request can take
        // longer than its 200 ms to be read.
        try await withTestServer(schema: testSchema, options: options) { server in
            // Half a request line, then nothing: answered by the timer, not by the client leaving.
            let exchange = try await RawConnection.exchange(port: server.port, "POST /gra")
            #expect(exchange.status == 408, "\(exchange.text.prefix(200))")
            #expect(exchange.closed)
            let silent = try await RawConnection.exchange(port: server.port, [])
            #expect(silent.status == 408)
        }
    }

    static let unroutedCases: [(String, Int, String?)] = [
        ("GET /nope HTTP/1.1", 404, nil),
        ("POST /graphql/nope HTTP/1.1", 404, nil),
        ("GET /graphql HTTP/1.1", 405, "allow: POST"),
        ("DELETE /graphql HTTP/1.1", 405, "allow: POST"),
        ("POST /graphql/schema HTTP/1.1", 405, "allow: GET"),
        ("GET /graphql/realtime HTTP/1.1", 426, "upgrade: websocket"),
    ]

    @Test("other paths get 404, other methods 405 with Allow, a plain GET of the real-time path 426")
    func unrouted() async throws {
        try await Self.withServer { server in
            for (line, status, header) in Self.unroutedCases {
                let exchange = try await RawConnection.exchange(
                    port: server.port,
                    "\(line)\r\nHost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                )
                #expect(exchange.status == status, "\(line): \(exchange.text.prefix(300))")
                if let header {
                    #expect(exchange.text.lowercased().contains(header.lowercased()), "\(exchange.text.prefix(300))")
                }
                let body = try FieldValue(jsonText: exchange.body)
                #expect(body["errors"]?[0]?["message"] != nil, "\(line)")
            }
        }
    }

    // MARK: WebSocket

    /// The upgrade request of a real-time connection with the key in a header, and one masked
    /// text frame holding `payload`.
    static func webSocketExchange(payload: [UInt8], masked: Bool = true) -> [[UInt8]] {
        let upgrade =
            "GET /graphql/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: graphql-ws\r\nx-api-key: da2-test-key\r\n\r\n"
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        var frame: [UInt8] = [0x81, UInt8(payload.count) | (masked ? 0x80 : 0)]
        if masked {
            frame += mask
            frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        } else {
            frame += payload
        }
        return [Array(upgrade.utf8), frame]
    }

    /// The status code of the first close frame the server sent after its 101 answer.
    static func closeCode(_ exchange: RawConnection.Exchange) -> Int? {
        let bytes = exchange.response
        guard let end = exchange.text.range(of: "\r\n\r\n")?.upperBound.utf16Offset(in: exchange.text) else {
            return nil
        }
        var index = end
        while index + 1 < bytes.count {
            let opcode = bytes[index] & 0x0F
            let length = Int(bytes[index + 1] & 0x7F)
            guard length < 126 else { return nil }
            if opcode == 0x8, length >= 2, index + 3 < bytes.count {
                return Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            }
            index += 2 + length
        }
        return nil
    }

    @Test("a text frame that is not UTF-8 closes with 1007, a frame without a mask with 1002; masked UTF-8 is served")
    func frames() async throws {
        try await Self.withServer { server in
            let invalidUTF8 = try await RawConnection.exchange(
                port: server.port,
                Self.webSocketExchange(payload: [0x7B, 0xC3, 0x28, 0xFF, 0x7D]),
                timeout: .seconds(20)
            )
            #expect(invalidUTF8.text.hasPrefix("HTTP/1.1 101"), "\(invalidUTF8.text.prefix(200))")
            #expect(Self.closeCode(invalidUTF8) == 1007, "\(invalidUTF8.response.suffix(16))")

            let unmasked = try await RawConnection.exchange(
                port: server.port,
                Self.webSocketExchange(payload: Array(#"{"type":"connection_init"}"#.utf8), masked: false),
                timeout: .seconds(20)
            )
            #expect(unmasked.text.hasPrefix("HTTP/1.1 101"), "\(unmasked.text.prefix(200))")
            #expect(Self.closeCode(unmasked) == 1002, "\(unmasked.response.suffix(40))")
            #expect(unmasked.closed)

            let masked = try await RawConnection.exchange(
                port: server.port,
                Self.webSocketExchange(payload: Array(#"{"type":"connection_init"}"#.utf8))
            ) { received in
                String(decoding: received, as: UTF8.self).contains("connection_ack")
            }
            #expect(masked.text.contains("connection_ack"), "\(masked.text.prefix(300))")
            #expect(Self.closeCode(masked) == nil)
        }
    }

    @Test("random frames after the upgrade: the connection ends when the client closes or breaks the protocol")
    func randomFrames() async throws {
        let seed = SeededRandom.seed(named: "hostile random frames")
        print("HostileInputTests.randomFrames seed: \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        var connections: [[UInt8]] = []
        for _ in 0..<12 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                // Any opcode, reserved bits or not, fragments or not, masked or not, whole payloads.
                let opcode = UInt8(random.pick([0, 1, 2, 3, 8, 9, 10, 11, 15]))
                let first = (random.chance(0.8) ? 0x80 : 0) | (random.chance(0.1) ? 0x70 : 0) | opcode
                let length = random.pick([0, 1, 2, 5, 125])
                let masked = random.chance(0.9)
                bytes += [first, UInt8(length) | (masked ? 0x80 : 0)]
                if masked { bytes += (0..<4).map { _ in UInt8.random(in: 0...255, using: &random) } }
                bytes += (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            if random.chance(0.2) {
                // A frame that claims 2^62 bytes: over the size limit before any payload.
                bytes += [0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
            }
            // The client's own close, masked, code 1000.
            bytes += [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8]
            connections.append(bytes)
        }
        try await Self.withServer { [connections] server in
            for frames in connections {
                var exchange = Self.webSocketExchange(payload: Array(#"{"type":"connection_init"}"#.utf8))
                exchange.append(frames)
                let answer = try await RawConnection.exchange(port: server.port, exchange, timeout: .seconds(20))
                #expect(answer.text.hasPrefix("HTTP/1.1 101"), "\(answer.text.prefix(200))")
                #expect(answer.closed, "\(frames)")
            }
        }
    }

    @Test("a real-time start whose query is nested thousands deep is refused with the limit")
    func deepStart() async throws {
        try await Self.withServer { server in
            try await withConnectedClient(server) { client in
                let answer = try await client.start("deep", "subscription " + Self.nest(3_000, "{ a ", "", "}"))
                #expect(answer?["type"] == "error")
                let message = Self.text(answer?["payload"]?["errors"]?[0]?["message"])
                #expect(message.contains("maximumNesting"), "\(answer.map(\.jsonText) ?? "nil")")
                let valid = try await client.start("ok", "subscription { onCreatePost { id } }")
                #expect(valid?["type"] == "start_ack")
            }
        }
    }
}
