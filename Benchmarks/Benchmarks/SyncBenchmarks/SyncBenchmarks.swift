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

    // MARK: A save on one store → observe on another

    // "save → observe (µs)": from the laptop's save until the phone's observe delivers the
    // change, through the server and the phone's subscription (one sample per iteration).
    let observeLatency = BenchmarkMetric.custom("save → observe (µs)")
    let live = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, observeLatency],
        warmupIterations: 20,
        maxDuration: .seconds(20),
        maxIterations: 2_000
    )
    Benchmark(
        "sync save on one store → observe on another: DataStoreSync",
        configuration: live,
        closure: { benchmark, host in
            guard let devices = host.devices else { fatalError("no devices") }
            let id = "live-\(host.counter.next())"
            let arrived = devices.arrivals.expect(id)
            let sent = ContinuousClock.now
            try await devices.laptop.store.save(Post(id: id, title: "t", rating: 1, status: .active))
            benchmark.measurement(observeLatency, microseconds(await arrived() - sent))
        },
        setup: { try await SyncHost.start(posts: 0, live: .devices) },
        teardown: { await SyncHost.stop() }
    )

    // The twin: the server's part alone — a mutation over HTTP and its event on a plain WebSocket.
    Benchmark(
        "sync save on one store → observe on another: HTTP mutation → raw WebSocket",
        configuration: live,
        closure: { benchmark, host in
            guard let raw = host.raw else { fatalError("no subscriber") }
            let id = "raw-\(host.counter.next())"
            let arrived = raw.arrivals.expect(id)
            let sent = ContinuousClock.now
            _ = try await host.post(
                "mutation M($input: CreatePostInput!) { createPost(input: $input) { id _version } }",
                variables: ["input": ["id": .string(id), "title": "t", "rating": 1, "status": "ACTIVE"]]
            )
            benchmark.measurement(observeLatency, microseconds(await arrived() - sent))
        },
        setup: { try await SyncHost.start(posts: 0, live: .raw) },
        teardown: { await SyncHost.stop() }
    )

    // MARK: Eight stores editing for a minute, one of them flapping

    // One long iteration: 8 stores save 50 posts/s each into 200 shared posts for SOAK_SECONDS
    // (60), the first behind a proxy that goes down and up every 5 s; then every store must hold
    // the server's posts. Reported: saves/s, how long convergence took after the last save, and
    // resident memory per store (above the server's) at the first and last 5-second sample.
    let savesPerSecond = BenchmarkMetric.custom("saves/s")
    let convergence = BenchmarkMetric.custom("converged after the last save (ms)")
    let firstRSS = BenchmarkMetric.custom("RSS per store at 5 s (KB)")
    let middleRSS = BenchmarkMetric.custom("RSS per store half-way (KB)")
    let lastRSS = BenchmarkMetric.custom("RSS per store at the end (KB)")
    Benchmark(
        "sync 8 stores editing for a minute, one flapping every 5 s: DataStoreSync",
        configuration: .init(
            metrics: [
                .wallClock, .cpuTotal, .peakMemoryResident, savesPerSecond, convergence, firstRSS, middleRSS, lastRSS,
            ],
            warmupIterations: 0,
            maxDuration: .seconds(600),
            maxIterations: 1
        ),
        closure: { benchmark, host in
            let outcome = try await Soak.run(host)
            let seconds = Double(Soak.duration.components.seconds)
            benchmark.measurement(savesPerSecond, Int(Double(outcome.saves) / seconds))
            benchmark.measurement(convergence, microseconds(outcome.converged) / 1_000)
            benchmark.measurement(firstRSS, max(0, outcome.firstRSS - outcome.baselineRSS) / Soak.clients / 1_024)
            let middle = outcome.samples.isEmpty ? 0 : outcome.samples[outcome.samples.count / 2]
            benchmark.measurement(middleRSS, max(0, middle - outcome.baselineRSS) / Soak.clients / 1_024)
            benchmark.measurement(lastRSS, max(0, outcome.lastRSS - outcome.baselineRSS) / Soak.clients / 1_024)
            print(
                "soak: \(outcome.saves) saves; converged \(outcome.converged) after the last; RSS (MB) "
                    + outcome.samples.map { String($0 / 1_048_576) }.joined(separator: " ")
                    + " (the server and the process before the stores: \(outcome.baselineRSS / 1_048_576) MB)"
            )
        },
        setup: { try await SyncHost.start(posts: 0) },
        teardown: { await SyncHost.stop() }
    )

    // The twin: the same writers and pace straight to the server over HTTP, without stores.
    Benchmark(
        "sync 8 stores editing for a minute, one flapping every 5 s: 8 HTTP writers at the same pace",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .peakMemoryResident, savesPerSecond],
            warmupIterations: 0,
            maxDuration: .seconds(600),
            maxIterations: 1
        ),
        closure: { benchmark, host in
            let end = ContinuousClock.now + Soak.duration
            let iteration = host.counter.next()
            let saves = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<Soak.clients {
                    group.addTask {
                        var count = 0
                        while ContinuousClock.now < end {
                            _ = try await host.post(
                                "mutation M($input: CreatePostInput!) { createPost(input: $input) { id _version } }",
                                variables: [
                                    "input": [
                                        "id": .string("w\(iteration)-\(writer)-\(count)"), "title": "t", "rating": 1,
                                        "status": "ACTIVE",
                                    ]
                                ]
                            )
                            count += 1
                            try await Task.sleep(for: Soak.pause)
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            benchmark.measurement(savesPerSecond, Int(Double(saves) / Double(Soak.duration.components.seconds)))
        },
        setup: { try await SyncHost.start(posts: 0) },
        teardown: { await SyncHost.stop() }
    )
}

func microseconds(_ duration: Duration) -> Int {
    Int(duration.components.seconds) * 1_000_000 + Int(duration.components.attoseconds / 1_000_000_000_000)
}

/// The benchmark server seeded with posts, and the client stores the benchmarks sync with it.
final class SyncHost: Sendable {
    static let directory = FileManager.default.temporaryDirectory.appending(path: "datastore-sync-benchmark")
    private static let current = Mutex<SyncHost?>(nil)

    let base: BenchmarkServer
    var server: TestServer { base.server }
    var counter: Counter { base.counter }
    /// Two subscribed stores, for the live benchmark.
    let devices: Devices?
    /// A plain subscriber, for its twin.
    let raw: RawSubscriber?

    /// What listens to live changes.
    enum Live {
        case none
        case devices
        case raw
    }

    private init(base: BenchmarkServer, devices: Devices? = nil, raw: RawSubscriber? = nil) {
        self.base = base
        self.devices = devices
        self.raw = raw
    }

    static func start(posts: Int, live: Live = .none) async throws -> SyncHost {
        let base = try await BenchmarkServer.start(schema: schema, directory: directory.appending(path: "server"))
        try await base.seed("Post", count: posts) { index in
            [
                "id": .string("p\(index)"), "title": .string("Post \(index)"), "rating": .int(index % 5),
                "status": "ACTIVE",
            ]
        }
        let plain = SyncHost(base: base)
        var host = plain
        switch live {
        case .none: break
        case .devices: host = SyncHost(base: base, devices: try await Devices.open(plain))
        case .raw:
            let raw = RawSubscriber(host: plain)
            await raw.waitUntilStarted()
            host = SyncHost(base: base, raw: raw)
        }
        current.withLock { $0 = host }
        return host
    }

    static func stop() async {
        guard let host = current.withLock({ $0.take() }) else { return }
        await host.devices?.close()
        await host.raw?.close()
        await host.base.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// An empty directory for one iteration's client store.
    func freshDirectory() throws -> URL {
        let directory = Self.directory.appending(path: "client-\(counter.next())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A synced blog store on a new file in `directory`, sending 8 mutations at once; subscribed
    /// to changes only when asked (the HTTP benchmarks and their twins measure no echoes).
    func syncedStore(at directory: URL, subscribes: Bool = false, endpoint: String? = nil) async throws -> SyncedStore {
        var configuration = SyncConfiguration()
        configuration.mutationsInFlight = 8
        configuration.maxRecordsToSync = 10_000_000
        configuration.subscribesToChanges = subscribes
        return try await SyncedStore(
            models: BlogModels.AppModels.self,
            storage: .file(at: directory.appending(path: "client.sqlite")),
            endpoint: URL(string: endpoint ?? server.endpoint)!,
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
