import AsyncHTTPClient
import BlogModels
import DataStore
import DataStoreAppSync
import DataStoreServer
import DataStoreServerTesting
import DataStoreSyncTesting
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreSync

/// Five clients saving, updating and deleting the same few posts at once, each behind its own
/// fault proxy that goes down and up at random; when the writing ends and the network heals,
/// every client's store must equal the server's — under AUTOMERGE and under optimistic
/// concurrency with a conflict handler, on one server and on two servers sharing PostgreSQL.
///
/// Each client's choices come from the seed; the interleaving of five clients and the network
/// does not, so a seed replays the same writes and outages, not the same schedule.
@Suite("Convergence", .timeLimit(.minutes(5)))
struct ConvergenceTests {
    /// Seeds every run tries (drawn at random once, and kept).
    static let seeds: [UInt64] = [0x9C1E_55A7_03B2_D4E1, 0x41F0_6D2B_8E77_1C09]

    @Test(
        "five clients on one server, writing the same posts through flapping proxies, end equal to it",
        arguments: Simulation.Strategy.allCases,
        seeds
    )
    func oneServer(strategy: Simulation.Strategy, seed: UInt64) async throws {
        print("convergence \(strategy) seed \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        try await Simulation(seed: SeededRandom.replayed(or: seed), strategy: strategy).onOneServer()
    }

    @Test(
        "five clients spread over two servers sharing one PostgreSQL end equal to it",
        .enabled(if: Simulation.postgresURL != nil),
        arguments: Simulation.Strategy.allCases
    )
    func twoServersOnPostgres(strategy: Simulation.Strategy) async throws {
        let seed = SeededRandom.seed(named: "convergence-postgres")
        print("convergence on PostgreSQL \(strategy) seed \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        try await Simulation(seed: seed, strategy: strategy).onTwoServersSharingPostgres()
    }

    @Test("random seeds for a while (DATASTORE_CONVERGENCE_SECONDS, 15 by default), each printed")
    func randomBatch() async throws {
        let seconds = ProcessInfo.processInfo.environment["DATASTORE_CONVERGENCE_SECONDS"].flatMap(Int.init) ?? 15
        let end = ContinuousClock.now + .seconds(seconds)
        var runs = 0
        // At least one run; with DATASTORE_TEST_SEED set, that one seed only.
        repeat {
            let seed = SeededRandom.seed(named: "convergence")
            let strategy = Simulation.Strategy.allCases[Int(seed % 2)]
            print("convergence batch \(strategy) seed \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
            try await Simulation(seed: seed, strategy: strategy).onOneServer()
            runs += 1
        } while ContinuousClock.now < end && !SeededRandom.isReplaying
        print("convergence batch: \(runs) runs in \(seconds) s at most")
    }
}

extension SeededRandom {
    /// Whether `DATASTORE_TEST_SEED` names a seed to replay.
    static var isReplaying: Bool {
        ProcessInfo.processInfo.environment["DATASTORE_TEST_SEED"].flatMap(UInt64.init) != nil
    }

    /// The seed to replay when one is named, else `seed`.
    static func replayed(or seed: UInt64) -> UInt64 { isReplaying ? Self.seed(named: "") : seed }
}

/// One run of the convergence simulation.
struct Simulation {
    enum Strategy: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case automerge
        /// Optimistic concurrency on the server; the clients' handler merges and retries, and
        /// gives in to the server after two attempts.
        case optimistic

        var testDescription: String { rawValue }
    }

    static let postgresURL = ProcessInfo.processInfo.environment["DATASTORE_TEST_POSTGRES_URL"]

    let seed: UInt64
    let strategy: Strategy
    let clients = 5
    let steps = 24
    let ids = (0..<6).map { "s\($0)" }

    private var serverConfiguration: ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.defaultStrategy = strategy == .automerge ? .automerge : .optimisticConcurrency
        return configuration
    }

    private var clientConfiguration: SyncConfiguration {
        var configuration = SyncConfiguration()
        // Short waits: outages here last milliseconds.
        configuration.retryPolicy = RetryPolicy(initialDelay: .milliseconds(2), maximumDelay: .milliseconds(40))
        configuration.mutationsInFlight = 2
        if strategy == .optimistic {
            configuration.conflictHandler = { conflict in
                guard conflict.attempt <= 2, var local = conflict.local as? Post, let remote = conflict.remote as? Post
                else { return .applyRemote }
                // The local title, the higher rating.
                local.rating = max(local.rating, remote.rating)
                return conflict.attempt == 1 ? .retry(local) : .retryLocal
            }
        }
        return configuration
    }

    func onOneServer() async throws {
        try await withSyncClient { client in
            try await withTestServer(schema: blogSchema, configuration: serverConfiguration) { server in
                try await run([server], client)
            }
        }
    }

    func onTwoServersSharingPostgres() async throws {
        let url = try #require(Self.postgresURL)
        var database = try PostgresItemStore.Configuration(url: url)
        database.schema = "convergence_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        database.maximumConnections = 4
        let configuration = serverConfiguration
        try await withSyncClient { client in
            try await PostgresItemStore.withStore(database) { storeA in
                try await PostgresItemStore.withStore(database) { storeB in
                    try await withTestServer(schema: blogSchema, configuration: configuration, store: storeA) {
                        serverA in
                        try await withTestServer(schema: blogSchema, configuration: configuration, store: storeB) {
                            serverB in
                            try await run([serverA, serverB], client)
                        }
                    }
                    try await storeB.dropSchema()
                }
            }
        }
    }

    /// The simulation against `servers` (client `i` talks to server `i % count`, through its own
    /// proxy).
    private func run(_ servers: [TestServer], _ client: HTTPClient) async throws {
        let ports = (0..<clients).map { servers[$0 % servers.count].port }
        try await withFaultProxies(ports: ports) { proxies in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            var stores: [SyncedStore] = []
            do {
                for index in 0..<clients {
                    let server = servers[index % servers.count]
                    stores.append(
                        try await SyncedStore(
                            models: BlogModels.AppModels.models,
                            storage: .file(at: directory.file("client\(index).sqlite")),
                            transport: proxiedTransport(proxies[index], server, client, timeout: .seconds(5)),
                            realtime: RealtimeSettings(
                                endpoint: URL(string: proxies[index].realtimeEndpoint)!,
                                authorization: .apiKey(server.apiKey)
                            ),
                            configuration: clientConfiguration
                        )
                    )
                }
                try await simulate(stores, proxies, servers[0])
            } catch {
                for store in stores { await store.close() }
                throw error
            }
            for store in stores { await store.close() }
        }
    }

    private func simulate(_ stores: [SyncedStore], _ proxies: [FaultProxy], _ server: TestServer) async throws {
        let counts = Locked((writes: 0, outages: 0, cuts: 0))
        for store in stores { await store.start() }
        // Every client writes at once, each from its own stream of choices.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                let proxy = proxies[index]
                var random = SeededRandom(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
                let (ids, steps) = (ids, steps)
                group.addTask {
                    var online = true
                    for step in 0..<steps {
                        if random.chance(0.15) {
                            online.toggle()
                            if online {
                                proxy.heal()
                            } else {
                                proxy.refuseConnections()
                                proxy.drop()
                                counts.withLock { $0.outages += 1 }
                            }
                        } else if online, random.chance(0.1) {
                            // The connections open now (the socket among them) break a few bytes
                            // into what comes back: an answer or a live change lost half-way.
                            proxy.cut(
                                after: Int.random(in: 0...3_000, using: &random),
                                .toClient,
                                newConnections: false
                            )
                            counts.withLock { $0.cuts += 1 }
                        }
                        for _ in 0..<Int.random(in: 1...3, using: &random) {
                            let id = random.pick(ids)
                            counts.withLock { $0.writes += 1 }
                            let title = "c\(index).\(step)"
                            let rating = Int.random(in: 0...9, using: &random)
                            if var post = try await store.store.query(Post.self, byID: id) {
                                if random.chance(0.2) {
                                    _ = try await store.store.delete(Post.self, byID: id)
                                } else {
                                    post.title = title
                                    if random.chance(0.5) { post.rating = rating }
                                    try await store.store.save(post)
                                }
                            } else {
                                try await store.store.save(Post(id: id, title: title, rating: rating, status: .active))
                            }
                        }
                        // Online, sometimes wait for the outbox to empty: the clients' sends and
                        // live changes interleave instead of merging into one write each.
                        if online, random.chance(0.5) { try await emptied(store) }
                    }
                    proxy.heal()
                }
            }
            try await group.waitForAll()
        }
        // The network is whole again: every outbox empties, then the server holds its last state.
        for store in stores { try await emptied(store) }
        let expected = try await serverState(server)
        let (writes, outages, cuts) = counts.withLock { $0 }
        print(
            "convergence \(strategy) seed \(seed): \(writes) writes, \(outages) outages, \(cuts) cuts; the server ends with "
                + "\(expected.count) posts, versions up to \(expected.values.map(\.version).max() ?? 0)"
        )
        for (index, store) in stores.enumerated() {
            let (converged, last) = try await converge(store, to: expected)
            #expect(
                converged,
                """
                client \(index) differs from the server (seed \(seed), \(strategy)):
                  server: \(describe(expected))
                  client: \(describe(last))
                """
            )
            let letters = try await store.deadLetters()
            #expect(letters.isEmpty, "client \(index): dead letters \(letters) (seed \(seed))")
        }
    }

    /// One post as the comparison sees it.
    struct Copy: Hashable, CustomStringConvertible {
        let title: String
        let rating: Int
        let version: Int

        var description: String { "\(title)/\(rating)/v\(version)" }
    }

    private func describe(_ state: [String: Copy]) -> String {
        state.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// The live posts the server holds, of the simulation's ids.
    private func serverState(_ server: TestServer) async throws -> [String: Copy] {
        var state: [String: Copy] = [:]
        for id in ids {
            guard let post = try await serverPost(server, id), post["_deleted"] != true,
                case .string(let title)? = post["title"], let rating = post["rating"]?.intValue,
                let version = post["_version"]?.intValue
            else { continue }
            state[id] = Copy(title: title, rating: rating, version: version)
        }
        return state
    }

    /// The posts a client holds, with the backend version it knows for each.
    private func localState(_ store: SyncedStore) async throws -> [String: Copy] {
        var state: [String: Copy] = [:]
        for id in ids {
            guard let post = try await store.store.query(Post.self, byID: id) else { continue }
            let version = try await store.store.engine.remoteState(model: "Post", modelID: id)?.version ?? 0
            state[id] = Copy(title: post.title, rating: post.rating, version: version)
        }
        return state
    }

    /// Waits until the client's posts equal `expected`, through the changes it receives; gives up
    /// after 30 seconds without convergence (a client that will not converge), and returns what it had.
    private func converge(_ store: SyncedStore, to expected: [String: Copy]) async throws -> (Bool, [String: Copy]) {
        let changes = store.store.observe(Post.self)
        return try await withThrowingTaskGroup(of: (Bool, [String: Copy])?.self) { group in
            group.addTask {
                var arrived = changes.makeAsyncIterator()
                while true {
                    let state = try await localState(store)
                    if state == expected { return (true, state) }
                    guard try await arrived.next() != nil else { return (false, state) }
                }
            }
            group.addTask {
                // Only a guard against a client that never converges: the run fails then.
                try? await Task.sleep(for: .seconds(30))
                return nil
            }
            defer { group.cancelAll() }
            if let outcome = try await group.next(), let outcome { return outcome }
            return (false, try await localState(store))
        }
    }
}

/// Runs `body` with a fault proxy to each of `ports`, in order.
func withFaultProxies(
    ports: [Int],
    opened: [FaultProxy] = [],
    _ body: @Sendable ([FaultProxy]) async throws -> Void
) async throws {
    guard opened.count < ports.count else { return try await body(opened) }
    try await withFaultProxy(port: ports[opened.count]) { proxy in
        try await withFaultProxies(ports: ports, opened: opened + [proxy], body)
    }
}
