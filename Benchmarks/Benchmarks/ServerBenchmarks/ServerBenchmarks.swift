import AsyncHTTPClient
import Benchmark
import BenchmarkSupport
import DataStore
import DataStoreServer
import DataStoreServerTesting
import Foundation
import GRDB
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization

// datastore-server over loopback, in this process: a server on a SQLite file, HTTP clients from
// AsyncHTTPClient and WebSocket clients from HummingbirdWSClient. The HTTP benchmarks have a raw
// SQLite twin doing the storage part of the same work with GRDB on the same kind of file:
// ratio = raw / server. The fan-out benchmark has no twin: its time is the latency itself.

let schema = """
    type Post @model {
      id: ID!
      title: String!
      rating: Int
      content: String
      comments: [Comment] @hasMany(indexName: "byPost", fields: ["id"])
    }
    type Comment @model {
      id: ID!
      postID: ID! @index(name: "byPost")
      content: String
    }
    """

/// The same models, each item readable and writable by its owner only: what the auth
/// benchmarks measure against the open schema with an API key.
let ownedSchema =
    schema
    .replacingOccurrences(of: "type Post @model {", with: "type Post @model @auth(rules: [{allow: owner}]) {")
    .replacingOccurrences(of: "type Comment @model {", with: "type Comment @model @auth(rules: [{allow: owner}]) {")

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal],
        warmupIterations: 2,
        maxDuration: .seconds(10),
        maxIterations: 200
    )

    // MARK: Mutations from 8 concurrent HTTP clients

    let clients = 8
    let mutationsPerIteration = 1_000

    // The open schema with the API key, and each item its owner's with an RS256 token: what the
    // rules cost, in the same run.
    let authorizations = [("datastore-server", false), ("JWT (RS256) and an owner rule", true)]

    for (name, owned) in authorizations {
        Benchmark(
            "server 1k mutations from 8 HTTP clients: \(name)",
            closure: { benchmark, host in try await host.createPosts(mutationsPerIteration, clients: clients) },
            setup: { try await ServerHost.start(owned: owned) },
            teardown: { await ServerHost.stop() }
        )
    }

    Benchmark(
        "server 1k mutations from 8 HTTP clients: raw SQLite",
        closure: { benchmark, raw in
            let iteration = raw.counter.next()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<clients {
                    group.addTask {
                        for index in stride(from: client, to: mutationsPerIteration, by: clients) {
                            try await raw.insert(iteration: iteration, index: index)
                        }
                    }
                }
                try await group.waitForAll()
            }
        },
        setup: { try await RawServerDatabase.make() },
        teardown: { RawServerDatabase.cleanUp() }
    )

    // MARK: Base sync of 100,000 items

    let syncItems = 100_000
    let syncConfiguration = Benchmark.Configuration(warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 20)

    for (name, owned) in authorizations {
        Benchmark(
            "server syncPosts 100k base: \(name)",
            configuration: syncConfiguration,
            closure: { benchmark, host in
                let count = try await host.syncAll()
                precondition(count == syncItems, "synced \(count)")
            },
            setup: { try await ServerHost.start(items: syncItems, owned: owned) },
            teardown: { await ServerHost.stop() }
        )
    }

    Benchmark(
        "server syncPosts 100k base: raw SQLite",
        configuration: syncConfiguration,
        closure: { benchmark, raw in
            var after = ""
            var count = 0
            while true {
                let page = try await raw.page(after: after)
                count += page.count
                guard page.count == 1_000, let last = page.last else { break }
                after = last
            }
            precondition(count == syncItems, "read \(count)")
        },
        setup: { try await RawServerDatabase.make(items: syncItems) },
        teardown: { RawServerDatabase.cleanUp() }
    )

    // MARK: A relation field: a post's 100 comments among 100,000

    let posts = 1_000
    let commentsPerPost = 100
    let relationConfiguration = Benchmark.Configuration(warmupIterations: 5, maxDuration: .seconds(10))

    Benchmark(
        "server a post's 100 comments of 100k: datastore-server",
        configuration: relationConfiguration,
        closure: { benchmark, host in
            let post = host.counter.next() % posts
            let answer = try await host.post(
                "query Q($id: ID!) { getPost(id: $id) { comments(limit: 100) { items { id content } } } }",
                variables: ["id": .string("p\(post)")]
            )
            precondition(answer.components(separatedBy: "\"content\"").count == commentsPerPost + 1, answer)
        },
        setup: { try await ServerHost.start(posts: posts, commentsPerPost: commentsPerPost) },
        teardown: { await ServerHost.stop() }
    )

    Benchmark(
        "server a post's 100 comments of 100k: raw SQLite",
        configuration: relationConfiguration,
        closure: { benchmark, raw in
            let post = raw.counter.next() % posts
            let count = try await raw.comments(of: "p\(post)")
            precondition(count == commentsPerPost, "read \(count)")
        },
        setup: { try await RawServerDatabase.make(posts: posts, commentsPerPost: commentsPerPost) },
        teardown: { RawServerDatabase.cleanUp() }
    )

    // MARK: Fan-out of one mutation to 1,000 WebSocket subscribers

    // Wall clock: from sending a mutation until the last of 1,000 subscribers has its event.
    // "delivery latency": from sending the mutation until each subscriber has it, one sample per
    // subscriber per mutation.
    let deliveryLatency = BenchmarkMetric.custom("delivery latency (µs)")
    Benchmark(
        "server fan-out to 1,000 WebSocket subscribers: datastore-server",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, deliveryLatency],
            warmupIterations: 5,
            maxDuration: .seconds(20),
            maxIterations: 500
        ),
        closure: { benchmark, host in
            let event = host.counter.next()
            let arrived = host.subscribers.expect(event)
            _ = try await host.post(
                "mutation M($input: CreatePostInput!) { createPost(input: $input) { id } }",
                variables: ["input": ["id": .string("fan-\(event)"), "title": .string("e\(event).")]]
            )
            for latency in await arrived() {
                let (seconds, attoseconds) = latency.components
                benchmark.measurement(deliveryLatency, Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000))
            }
        },
        setup: { try await ServerHost.start(subscribers: 1_000) },
        teardown: { await ServerHost.stop() }
    )
}

enum Post {
    static func input(iteration: Int, index: Int) -> FieldValue {
        [
            "id": .string("i\(iteration)-\(index)"), "title": .string("Post \(index)"), "rating": .int(index % 5),
            "content": .string(String(repeating: "text ", count: 20)),
        ]
    }
}

enum Comment {
    /// Comment `index`, of post `index % posts`, so that a post's comments are spread over the table.
    static func fields(_ index: Int, posts: Int) -> [String: FieldValue] {
        [
            "id": .string("c\(index)"), "postID": .string("p\(index % posts)"),
            "content": .string("Comment \(index) " + String(repeating: "text ", count: 10)),
        ]
    }
}

/// The benchmark server with `onCreatePost` subscribers, started by `setup` and stopped by
/// `teardown`.
final class ServerHost: Sendable {
    let base: BenchmarkServer
    let subscribers: Subscribers
    private let subscriberTasks: [Task<Void, Never>]

    var server: TestServer { base.server }
    var counter: Counter { base.counter }

    private static let current = Mutex<ServerHost?>(nil)
    static let directory = FileManager.default.temporaryDirectory.appending(path: "datastore-server-benchmarks")
    /// The identity provider of the auth benchmarks: RS256, as Cognito signs.
    static let issuer = try! TestTokenIssuer(algorithm: .rs256)

    private init(base: BenchmarkServer, subscribers: Subscribers, subscriberTasks: [Task<Void, Never>]) {
        self.base = base
        self.subscribers = subscribers
        self.subscriberTasks = subscriberTasks
    }

    static func start(
        items: Int = 0,
        posts: Int = 0,
        commentsPerPost: Int = 0,
        subscribers count: Int = 0,
        owned: Bool = false
    ) async throws -> ServerHost {
        let base =
            owned
            ? try await BenchmarkServer.start(
                schema: ownedSchema,
                directory: directory,
                issuer: issuer,
                token: try issuer.token(sub: "u-1", username: "user", expiresIn: 24 * 3600)
            )
            : try await BenchmarkServer.start(schema: schema, directory: directory)
        if items > 0 {
            try await base.seed("Post", count: items) { index in
                guard case .object(var input) = Post.input(iteration: 0, index: index) else { return [:] }
                if owned { input["owner"] = "u-1::user" }
                return input
            }
        }
        if posts > 0 {
            try await base.seed("Post", count: posts) { ["id": .string("p\($0)"), "title": "T"] }
            try await base.seed("Comment", count: posts * commentsPerPost) { Comment.fields($0, posts: posts) }
        }
        let subscribers = Subscribers(count: count)
        let tasks = (0..<count).map { number in Task { await subscribers.run(number, server: base.server) } }
        await subscribers.allStarted()
        let started = ServerHost(base: base, subscribers: subscribers, subscriberTasks: tasks)
        current.withLock { $0 = started }
        return started
    }

    static func stop() async {
        guard let host = current.withLock({ $0.take() }) else { return }
        for task in host.subscriberTasks { task.cancel() }
        for task in host.subscriberTasks { await task.value }
        await host.base.stop()
    }

    /// Posts a GraphQL request; returns the response body.
    func post(_ query: String, variables: FieldValue) async throws -> String {
        try await base.post(query, variables: variables)
    }

    /// Creates `count` posts of a new iteration, from `clients` HTTP clients at once.
    func createPosts(_ count: Int, clients: Int) async throws {
        let iteration = counter.next()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    for index in stride(from: client, to: count, by: clients) {
                        let answer = try await self.post(
                            "mutation M($input: CreatePostInput!) { createPost(input: $input) { id _version } }",
                            variables: ["input": Post.input(iteration: iteration, index: index)]
                        )
                        precondition(answer.contains("\"_version\":1"), answer)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// A whole base sync of the posts, page by page: how many items came.
    func syncAll() async throws -> Int {
        try await base.syncAllPosts(selecting: "id title rating content _version _deleted _lastChangedAt")
    }
}

/// WebSocket clients subscribed to `onCreatePost`, each reporting the events it receives.
final class Subscribers: Sendable {
    private struct State {
        var started = 0
        var startWaiters: [CheckedContinuation<Void, Never>] = []
        /// The event being waited for, when its mutation was sent, how long each subscriber took
        /// to receive it, and who waits.
        var event = 0
        var sent = ContinuousClock.now
        var latencies: [Duration] = []
        var eventWaiter: CheckedContinuation<[Duration], Never>?
    }

    let count: Int
    private let state = Mutex(State())

    init(count: Int) { self.count = count }

    /// Returns once every subscriber has its `start_ack`.
    func allStarted() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.started >= count { return true }
                state.startWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Arms the wait for `event`, whose mutation is sent now; the returned function returns each
    /// subscriber's latency once every subscriber received it.
    func expect(_ event: Int) -> @Sendable () async -> [Duration] {
        state.withLock { state in
            state.event = event
            state.latencies = []
            state.latencies.reserveCapacity(count)
            state.sent = .now
        }
        return { [self] in
            await withCheckedContinuation { continuation in
                let done = state.withLock { state -> [Duration]? in
                    if state.latencies.count >= count { return state.latencies }
                    state.eventWaiter = continuation
                    return nil
                }
                if let done { continuation.resume(returning: done) }
            }
        }
    }

    private func started() {
        let waiters = state.withLock { state in
            state.started += 1
            guard state.started >= count else { return [CheckedContinuation<Void, Never>]() }
            defer { state.startWaiters = [] }
            return state.startWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func received(_ event: Int) {
        let arrival = ContinuousClock.now
        let (waiter, latencies) = state.withLock { state -> (CheckedContinuation<[Duration], Never>?, [Duration]) in
            guard event == state.event else { return (nil, []) }
            state.latencies.append(arrival - state.sent)
            guard state.latencies.count >= count else { return (nil, []) }
            defer { state.eventWaiter = nil }
            return (state.eventWaiter, state.latencies)
        }
        waiter?.resume(returning: latencies)
    }

    /// One subscriber: connects, subscribes, and reports each event until cancelled.
    func run(_ number: Int, server: TestServer) async {
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
        configuration.additionalHeaders = [
            .secWebSocketProtocol: "graphql-ws", HTTPField.Name("x-api-key")!: server.apiKey,
        ]
        configuration.autoPing = .disabled
        do {
            _ = try await WebSocketClient.connect(
                url: server.realtimeEndpoint,
                configuration: configuration,
                logger: Logger(label: "benchmark-subscriber")
            ) { inbound, outbound, _ in
                try await outbound.write(.text(#"{"type":"connection_init"}"#))
                let start = FieldValue.object([
                    "id": "1", "type": "start",
                    "payload": [
                        "data": .string(#"{"query":"subscription { onCreatePost { id title } }","variables":{}}"#)
                    ],
                ])
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                while let message = try await messages.next() {
                    guard case .text(var text) = message else { continue }
                    switch text.withUTF8(Self.classify) {
                    case .acknowledged: try await outbound.write(.text(start.jsonText))
                    case .started: self.started()
                    case .event(let event): self.received(event)
                    case .other: break
                    }
                }
            }
        } catch {
            if !Task.isCancelled { print("subscriber \(number) failed: \(error)") }
        }
    }

    /// What a subscriber does with a server message.
    private enum Message {
        case acknowledged
        case started
        case event(Int)
        case other
    }

    /// Classifies a message by its bytes, without decoding it: the subscribers share the server's
    /// two cores, so what they spend per event is latency the benchmark would charge to the server.
    /// (Foundation's `String.contains` on Linux bridges to NSString: it made a tenth of the CPU
    /// time of a fan-out.)
    private static func classify(_ text: UnsafeBufferPointer<UInt8>) -> Message {
        if end(of: #""type":"data""#, in: text) != nil {
            // The number in a title `eN.`.
            guard var index = end(of: #""title":"e"#, in: text) else { return .other }
            var number = 0
            var digits = 0
            while index < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[index]) {
                number = number * 10 + Int(text[index] - UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            return digits > 0 ? .event(number) : .other
        }
        if end(of: #""type":"connection_ack""#, in: text) != nil { return .acknowledged }
        if end(of: #""type":"start_ack""#, in: text) != nil { return .started }
        return .other
    }

    /// Where the first `pattern` in `text` ends.
    private static func end(of pattern: StaticString, in text: UnsafeBufferPointer<UInt8>) -> Int? {
        let needle = UnsafeBufferPointer(start: pattern.utf8Start, count: pattern.utf8CodeUnitCount)
        guard text.count >= needle.count else { return nil }
        candidates: for position in 0...(text.count - needle.count) {
            for offset in 0..<needle.count where text[position + offset] != needle[offset] { continue candidates }
            return position + needle.count
        }
        return nil
    }
}

/// The raw twin: the server's two writes (the item and its delta record) and its page reads, with
/// GRDB on a SQLite file in WAL mode.
final class RawServerDatabase: Sendable {
    let pool: DatabasePool
    let counter = Counter()
    static let path = FileManager.default.temporaryDirectory.appending(path: "datastore-server-raw.sqlite").path

    private init(pool: DatabasePool) { self.pool = pool }

    static func make(items: Int = 0, posts: Int = 0, commentsPerPost: Int = 0) async throws -> RawServerDatabase {
        cleanUp()
        let pool = try DatabasePool(path: path)
        try await pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE items (model TEXT NOT NULL, key TEXT NOT NULL, fields TEXT NOT NULL,
                      version INTEGER NOT NULL, deleted INTEGER NOT NULL, lastChangedAt INTEGER NOT NULL,
                      PRIMARY KEY (model, key)) STRICT, WITHOUT ROWID;
                    CREATE TABLE changes (position INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL,
                      key TEXT NOT NULL, fields TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL,
                      lastChangedAt INTEGER NOT NULL) STRICT;
                    """
            )
        }
        let raw = RawServerDatabase(pool: pool)
        for index in 0..<items { try await raw.insert(iteration: 0, index: index) }
        if posts > 0 {
            // The comments, and the index a hand-written server would give them (named in the
            // read: without statistics SQLite takes the primary key for as selective).
            try await pool.write { db in
                try db.execute(
                    sql: "CREATE INDEX comments_by_post ON items (model, json_extract(fields, '$.postID'), key)"
                )
                for index in 0..<(posts * commentsPerPost) {
                    var fields = Comment.fields(index, posts: posts)
                    fields["createdAt"] = "2026-11-25T00:00:00.000Z"
                    fields["updatedAt"] = "2026-11-25T00:00:00.000Z"
                    try db.execute(
                        sql: """
                            INSERT INTO items (model, key, fields, version, deleted, lastChangedAt)
                            VALUES ('Comment', ?, ?, 1, 0, 1790000000000)
                            """,
                        arguments: ["c\(index)", FieldValue.object(fields).jsonText]
                    )
                }
            }
        }
        return raw
    }

    static func cleanUp() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    func insert(iteration: Int, index: Int) async throws {
        guard case .object(var fields) = Post.input(iteration: iteration, index: index) else { return }
        fields["createdAt"] = "2026-11-25T00:00:00.000Z"
        fields["updatedAt"] = "2026-11-25T00:00:00.000Z"
        let key = "i\(iteration)-\(index)"
        let arguments: StatementArguments = [
            "Post", key, FieldValue.object(fields).jsonText, 1, false, 1_790_000_000_000,
        ]
        try await pool.write { db in
            let existing = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT version FROM items WHERE model = ? AND key = ?"),
                arguments: ["Post", key]
            )
            precondition(existing == nil)
            try db.cachedStatement(
                sql: "INSERT INTO items (model, key, fields, version, deleted, lastChangedAt) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: arguments)
            try db.cachedStatement(
                sql:
                    "INSERT INTO changes (model, key, fields, version, deleted, lastChangedAt) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: arguments)
        }
    }

    /// The comments of post `id`, read by the index and decoded; returns how many.
    func comments(of id: String) async throws -> Int {
        try await pool.read { db in
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT key, fields, version, deleted, lastChangedAt FROM items INDEXED BY comments_by_post
                        WHERE model = 'Comment' AND json_extract(fields, '$.postID') = ? ORDER BY key LIMIT 100
                        """
                ),
                arguments: [id]
            )
            var count = 0
            while let row = try rows.next() {
                let fields: String = row[1]
                blackHole(try FieldValue(jsonText: fields))
                count += 1
            }
            return count
        }
    }

    /// The keys of one page of 1,000 items after `key`, with their fields decoded.
    func page(after key: String) async throws -> [String] {
        try await pool.read { db in
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT key, fields, version, deleted, lastChangedAt FROM items
                        WHERE model = 'Post' AND key > ? ORDER BY key LIMIT 1000
                        """
                ),
                arguments: [key]
            )
            var keys: [String] = []
            while let row = try rows.next() {
                let fields: String = row[1]
                blackHole(try FieldValue(jsonText: fields))
                keys.append(row[0])
            }
            return keys
        }
    }
}
