import AsyncHTTPClient
import Benchmark
import BenchmarkSupport
import BlogModels
import DataStore
import DataStoreServer
import DataStoreServerTesting
import DataStoreSync
import Foundation
import NIOCore
import Synchronization

// DataStoreSync against datastore-server over loopback, in this process, on SQLite files. Each
// benchmark has a twin in the same run that does the server's part of the same work over HTTP
// with no client store: ratio = twin / sync.

let schema = """
    enum PostStatus { ACTIVE INACTIVE }
    type Post @model {
      id: ID!
      title: String!
      rating: Int!
      status: PostStatus!
      comments: [Comment] @hasMany(indexName: "byPost", fields: ["id"])
    }
    type Comment @model {
      id: ID!
      postID: ID! @index(name: "byPost")
      post: Post @belongsTo(fields: ["postID"])
      content: String!
    }
    """

let syncedRecords = Int(ProcessInfo.processInfo.environment["SYNC_BENCHMARK_RECORDS"] ?? "") ?? 100_000
let outboxMutations = 10_000

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(30),
        maxIterations: 10
    )

    // MARK: Base sync into an empty store

    Benchmark(
        "sync base 100k records into an empty store: DataStoreSync",
        closure: { benchmark, host in
            let directory = try host.freshDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let synced = try await host.syncedStore(at: directory)
            var events = synced.events.makeAsyncIterator()
            benchmark.startMeasurement()
            await synced.start()
            var created = 0
            while let event = await events.next() {
                if case .modelSynced(let model) = event { created += model.created }
                if event == .ready { break }
            }
            benchmark.stopMeasurement()
            await synced.close()
            precondition(created == syncedRecords, "synced \(created)")
        },
        setup: { try await SyncHost.start(posts: syncedRecords) },
        teardown: { await SyncHost.stop() }
    )

    Benchmark(
        "sync base 100k records into an empty store: server paging only",
        closure: { benchmark, host in
            let count = try await host.syncAll()
            precondition(count == syncedRecords, "paged \(count)")
        },
        setup: { try await SyncHost.start(posts: syncedRecords) },
        teardown: { await SyncHost.stop() }
    )

    // MARK: Draining an outbox

    Benchmark(
        "sync drain an outbox of 10k mutations: DataStoreSync",
        closure: { benchmark, host in
            let directory = try host.freshDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let synced = try await host.syncedStore(at: directory)
            // The store first catches up with what earlier iterations wrote, so that the measured
            // run is the drain (and a delta sync that finds nothing), not a base sync of a growing
            // server.
            var catchingUp = synced.events.makeAsyncIterator()
            await synced.start()
            while let event = await catchingUp.next(), event != .ready {}
            await synced.stop()
            let iteration = host.counter.next()
            for batch in stride(from: 0, to: outboxMutations, by: 1_000) {
                try await synced.store.save(
                    (batch..<batch + 1_000).map { index in
                        Post(id: "o\(iteration)-\(index)", title: "Post \(index)", rating: index % 5, status: .active)
                    }
                )
            }
            var events = synced.events.makeAsyncIterator()
            benchmark.startMeasurement()
            await synced.start()
            // The last state event is kept however far the reader falls behind (events that
            // describe one mutation each may be dropped from a full buffer).
            while let event = await events.next(), event != .outboxStatus(isEmpty: true) {}
            benchmark.stopMeasurement()
            await synced.close()
        },
        setup: { try await SyncHost.start(posts: 0) },
        teardown: { await SyncHost.stop() }
    )

    Benchmark(
        "sync drain an outbox of 10k mutations: 8 HTTP clients only",
        closure: { benchmark, host in
            let iteration = host.counter.next()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        for index in stride(from: client, to: outboxMutations, by: 8) {
                            _ = try await host.post(
                                "mutation M($input: CreatePostInput!) { createPost(input: $input) { "
                                    + "id title rating status createdAt updatedAt __typename _version _deleted "
                                    + "_lastChangedAt } }",
                                variables: [
                                    "input": [
                                        "id": .string("h\(iteration)-\(index)"), "title": .string("Post \(index)"),
                                        "rating": .int(index % 5), "status": "ACTIVE",
                                    ]
                                ]
                            )
                        }
                    }
                }
                try await group.waitForAll()
            }
        },
        setup: { try await SyncHost.start(posts: 0) },
        teardown: { await SyncHost.stop() }
    )
}

/// The benchmark server seeded with posts, and the client stores the benchmarks sync with it.
final class SyncHost: Sendable {
    static let directory = FileManager.default.temporaryDirectory.appending(path: "datastore-sync-benchmark")
    private static let current = Mutex<SyncHost?>(nil)

    let base: BenchmarkServer
    var server: TestServer { base.server }
    var counter: Counter { base.counter }

    private init(base: BenchmarkServer) { self.base = base }

    static func start(posts: Int) async throws -> SyncHost {
        let base = try await BenchmarkServer.start(schema: schema, directory: directory.appending(path: "server"))
        try await base.seed("Post", count: posts) { index in
            [
                "id": .string("p\(index)"), "title": .string("Post \(index)"), "rating": .int(index % 5),
                "status": "ACTIVE",
            ]
        }
        let host = SyncHost(base: base)
        current.withLock { $0 = host }
        return host
    }

    static func stop() async {
        guard let host = current.withLock({ $0.take() }) else { return }
        await host.base.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// An empty directory for one iteration's client store.
    func freshDirectory() throws -> URL {
        let directory = Self.directory.appending(path: "client-\(counter.next())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A synced blog store on a new file in `directory`, sending 8 mutations at once.
    func syncedStore(at directory: URL) async throws -> SyncedStore {
        var configuration = SyncConfiguration()
        configuration.mutationsInFlight = 8
        configuration.maxRecordsToSync = 10_000_000
        // The HTTP path these benchmarks and their twins measure: no echoes over a WebSocket.
        configuration.subscribesToChanges = false
        return try await SyncedStore(
            models: BlogModels.AppModels.self,
            storage: .file(at: directory.appending(path: "client.sqlite")),
            endpoint: URL(string: server.endpoint)!,
            authorization: .apiKey(server.apiKey),
            configuration: configuration
        )
    }

    /// Posts a GraphQL request; returns the response body.
    func post(_ query: String, variables: FieldValue) async throws -> String {
        try await base.post(query, variables: variables)
    }

    /// A whole base sync of the posts, page by page: how many items came.
    func syncAll() async throws -> Int {
        try await base.syncAllPosts(
            selecting: "id title rating status createdAt updatedAt _version _deleted _lastChangedAt __typename"
        )
    }
}
