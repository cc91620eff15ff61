import BenchmarkSupport
import BlogModels
import DataStore
import DataStoreSync
import DataStoreSyncTesting
import Foundation
import Synchronization

/// Eight synced stores editing the same posts for a while, one of them behind a proxy that goes
/// down and up every few seconds; then every store must hold the server's copy.
enum Soak {
    static let clients = 8
    static let posts = 200
    static let duration = Duration.seconds(Int(ProcessInfo.processInfo.environment["SOAK_SECONDS"] ?? "") ?? 60)
    static let flapEvery = Duration.seconds(5)
    /// The pause between one client's saves: 8 clients × 50 saves/s.
    static let pause = Duration.milliseconds(20)

    struct Outcome {
        let saves: Int
        let converged: Duration
        /// Resident memory at the first and the last sample, and the highest, in bytes.
        let firstRSS: Int
        let lastRSS: Int
        let peakRSS: Int
        let baselineRSS: Int
        /// Every sample, in order.
        let samples: [Int]
    }

    /// The process's resident memory, in bytes (Linux's /proc/self/statm; 0 elsewhere).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func run(_ host: SyncHost) async throws -> Outcome {
        let baseline = residentBytes()
        return try await withFaultProxy(port: host.server.port) { proxy in
            var stores: [SyncedStore] = []
            for index in 0..<clients {
                stores.append(
                    try await host.syncedStore(
                        at: try host.freshDirectory(),
                        subscribes: true,
                        endpoint: index == 0 ? proxy.endpoint() : nil
                    )
                )
            }
            do {
                let outcome = try await run(stores, proxy, host, baseline: baseline)
                for store in stores { await store.close() }
                return outcome
            } catch {
                for store in stores { await store.close() }
                throw error
            }
        }
    }

    private static func run(
        _ stores: [SyncedStore],
        _ proxy: FaultProxy,
        _ host: SyncHost,
        baseline: Int
    ) async throws -> Outcome {
        for store in stores {
            var events = store.events.makeAsyncIterator()
            await store.start()
            while let event = await events.next(), event != .ready {}
        }
        let saves = Shared(0)
        let samples = Shared<[Int]>([])
        let end = ContinuousClock.now + duration
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    var count = 0
                    while ContinuousClock.now < end {
                        let id = "soak-\(Int.random(in: 0..<posts, using: &random))"
                        try await store.store.save(
                            Post(
                                id: id,
                                title: "c\(index) #\(count)",
                                rating: Int.random(in: 0...9, using: &random),
                                status: .active
                            )
                        )
                        count += 1
                        saves.withLock { $0 += 1 }
                        try await Task.sleep(for: pause)
                    }
                }
            }
            // The flapping client: down and up every few seconds.
            group.addTask {
                var down = false
                while ContinuousClock.now < end {
                    try await Task.sleep(for: flapEvery)
                    down.toggle()
                    if down {
                        proxy.refuseConnections()
                        proxy.drop()
                    } else {
                        proxy.heal()
                    }
                }
                proxy.heal()
            }
            // Memory, every few seconds.
            group.addTask {
                while ContinuousClock.now < end {
                    try await Task.sleep(for: .seconds(5))
                    samples.withLock { $0.append(residentBytes()) }
                }
            }
            try await group.waitForAll()
        }
        // Converged: every outbox empty, then every store equal to the server.
        let stopped = ContinuousClock.now
        for store in stores {
            var events = store.events.makeAsyncIterator()
            while try await store.pendingMutationCount() > 0 {
                guard await events.next() != nil else { break }
            }
        }
        let expected = try await serverState(host)
        for (index, store) in stores.enumerated() {
            let changes = store.store.observe(Post.self)
            var arrived = changes.makeAsyncIterator()
            while try await localState(store) != expected {
                guard try await arrived.next() != nil else { throw SoakError.diverged(index) }
            }
        }
        let converged = ContinuousClock.now - stopped
        let memory = samples.withLock { $0 }
        return Outcome(
            saves: saves.withLock { $0 },
            converged: converged,
            firstRSS: memory.first ?? 0,
            lastRSS: memory.last ?? 0,
            peakRSS: memory.max() ?? 0,
            baselineRSS: baseline,
            samples: memory
        )
    }

    enum SoakError: Error { case diverged(Int) }

    /// The server's posts of the soak: id → title and rating.
    static func serverState(_ host: SyncHost) async throws -> [String: String] {
        var state: [String: String] = [:]
        var token: String?
        repeat {
            let page = try await host.server.dataSource.sync("Post", limit: 1_000, nextToken: token)
            for case .object(let item) in page.items {
                guard case .string(let id)? = item["id"], id.hasPrefix("soak-"), item["_deleted"] != .bool(true),
                    case .string(let title)? = item["title"], case .int(let rating)? = item["rating"]
                else { continue }
                state[id] = "\(title)/\(rating)"
            }
            token = page.nextToken
        } while token != nil
        return state
    }

    static func localState(_ store: SyncedStore) async throws -> [String: String] {
        var state: [String: String] = [:]
        for post in try await store.store.query(Post.self) where post.id.hasPrefix("soak-") {
            state[post.id] = "\(post.title)/\(post.rating)"
        }
        return state
    }
}

/// A value tasks share, behind a mutex.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
