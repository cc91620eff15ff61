import BenchmarkSupport
import BlogModels
import DataStore
import DataStoreSync
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import Synchronization

/// Two synced stores on one benchmark server ("laptop" and "phone"), subscribed and synced, with
/// the time each remote change reached the phone's `observe`.
final class Devices: Sendable {
    let laptop: SyncedStore
    let phone: SyncedStore
    let arrivals: Arrivals
    private let watching: Task<Void, Never>

    private init(laptop: SyncedStore, phone: SyncedStore, arrivals: Arrivals, watching: Task<Void, Never>) {
        self.laptop = laptop
        self.phone = phone
        self.arrivals = arrivals
        self.watching = watching
    }

    static func open(_ host: SyncHost) async throws -> Devices {
        let laptop = try await host.syncedStore(at: try host.freshDirectory(), subscribes: true)
        let phone = try await host.syncedStore(at: try host.freshDirectory(), subscribes: true)
        for store in [laptop, phone] {
            var events = store.events.makeAsyncIterator()
            await store.start()
            while let event = await events.next(), event != .ready {}
        }
        let arrivals = Arrivals()
        let changes = phone.store.observe(Post.self)
        let watching = Task {
            do {
                for try await change in changes where change.source == .remote { arrivals.received(change.model.id) }
            } catch {
                print("the phone's observation ended: \(error)")
            }
        }
        return Devices(laptop: laptop, phone: phone, arrivals: arrivals, watching: watching)
    }

    func close() async {
        await laptop.close()
        await phone.close()
        watching.cancel()
        await watching.value
    }
}

/// When the change of the id a benchmark iteration waits for arrived.
final class Arrivals: Sendable {
    private struct State {
        var expected: String?
        var arrived: ContinuousClock.Instant?
        var waiter: CheckedContinuation<ContinuousClock.Instant, Never>?
    }

    private let state = Mutex(State())

    /// Arms the wait for `id`; the returned function returns when it arrived.
    func expect(_ id: String) -> @Sendable () async -> ContinuousClock.Instant {
        state.withLock { state in
            state.expected = id
            state.arrived = nil
        }
        return { [self] in
            await withCheckedContinuation { continuation in
                let arrived = state.withLock { state -> ContinuousClock.Instant? in
                    if let arrived = state.arrived { return arrived }
                    state.waiter = continuation
                    return nil
                }
                if let arrived { continuation.resume(returning: arrived) }
            }
        }
    }

    func received(_ id: String) {
        let now = ContinuousClock.now
        let waiter = state.withLock { state -> CheckedContinuation<ContinuousClock.Instant, Never>? in
            guard state.expected == id, state.arrived == nil else { return nil }
            state.arrived = now
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: now)
    }
}

/// The twin's subscriber: one plain WebSocket subscribed to `onCreatePost`, no store behind it.
final class RawSubscriber: Sendable {
    let arrivals = Arrivals()
    private let running: Task<Void, Never>
    private let started: AsyncStream<Void>

    init(host: SyncHost) {
        let (started, ready) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.started = started
        let arrivals = arrivals
        let server = host.server
        running = Task {
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
                            "data": .string(#"{"query":"subscription { onCreatePost { id } }","variables":{}}"#)
                        ],
                    ])
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message,
                            case .object(let value)? = try? FieldValue(jsonText: text),
                            case .string(let type)? = value["type"]
                        else { continue }
                        switch type {
                        case "connection_ack": try await outbound.write(.text(start.jsonText))
                        case "start_ack": ready.yield()
                        case "data":
                            if let id = Self.createdID(value["payload"]) { arrivals.received(id) }
                        default: break
                        }
                    }
                }
            } catch {
                if !Task.isCancelled { print("the raw subscriber failed: \(error)") }
            }
            ready.finish()
        }
    }

    /// The id in a `data` message's `payload.data.onCreatePost`.
    private static func createdID(_ payload: FieldValue?) -> String? {
        guard case .object(let payload)? = payload, case .object(let data)? = payload["data"],
            case .object(let item)? = data["onCreatePost"], case .string(let id)? = item["id"]
        else { return nil }
        return id
    }

    /// Returns once the subscription is acknowledged.
    func waitUntilStarted() async {
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()
    }

    func close() async {
        running.cancel()
        await running.value
    }
}
