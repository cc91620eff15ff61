import DataStore
import DataStoreAppSync
import Logging
import ServiceLifecycle

/// Fans committed writes out to the subscriptions they match (PROTOCOL §6.5).
///
/// The hub follows the delta log: the store rings after every commit, and the hub reads the
/// records after the last position it saw. Subscribers therefore receive each item's versions in
/// commit order, a write is published only once it is durable, and nothing is held in memory for
/// a write the hub has not reached. Subscriptions with the same request share a *shape*: each
/// event is filtered and rendered once per shape, then queued to every subscriber of it, so fan-out
/// to many identical subscriptions costs one GraphQL execution.
actor RealtimeHub: Service {
    /// A subscription's address: its connection and the client's id for it.
    struct Subscriber: Hashable {
        let connection: Int
        let id: String
    }

    private struct Shape {
        let request: SubscriptionRequest
        var subscribers: [Subscriber: SendQueue] = [:]
    }

    private struct Topic: Hashable {
        let model: String
        let kind: MutationKind
    }

    let api: GraphQLAPI
    private let maximumPayloadSize: Int
    private let clock: any WallClock
    private let logger: Logger
    /// The last log position published.
    private var position: Int64 = 0
    private var shapes: [String: Shape] = [:]
    private var topics: [Topic: Set<String>] = [:]
    /// The open connections, each with the shape key of every subscription it holds, by id.
    private var connections: [Int: [String: String]] = [:]
    private var nextConnection = 0
    /// Tasks waiting for every connection to close.
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// How many records one read of the log takes.
    private static let batchSize = 256

    /// How long the hub waits before following the store's commits again after its connection
    /// was lost.
    static let followRetryDelay: Duration = .seconds(1)

    init(api: GraphQLAPI, maximumPayloadSize: Int, clock: any WallClock, logger: Logger) {
        self.api = api
        self.maximumPayloadSize = maximumPayloadSize
        self.clock = clock
        self.logger = logger
    }

    /// Starts publishing at the log's current end: writes committed from now on are published.
    func start() async throws(AppSyncError) {
        position = try await api.dataSource.lastPosition()
    }

    /// Publishes until cancelled or shut down gracefully.
    func run() async {
        let store = api.dataSource.store
        let (clock, logger) = (self.clock, self.logger)
        // The changes themselves are in the log, so one pending wake-up is all there is to keep,
        // however many commits come while the hub publishes.
        let commits = WorkSignal()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                // The store rings for every commit: this server's, and other servers' on a shared
                // database.
                group.addTask {
                    while !Task.isCancelled {
                        do {
                            try await store.followCommits { commits.notify() }
                        } catch {
                            if Task.isCancelled { break }
                            logger.error("Lost the database's commit notifications, retrying: \(error)")
                        }
                        try? await clock.sleep(for: Self.followRetryDelay)
                    }
                    commits.finish()
                }
                for await _ in commits.wakeUps {
                    await self.publishPending()
                }
                group.cancelAll()
            }
        }
    }

    /// Publishes every record after ``position``.
    private func publishPending() async {
        while !Task.isCancelled {
            let batch: (changes: [DataSource.Change], last: Int64)
            do {
                batch = try await api.dataSource.changes(after: position, limit: Self.batchSize)
            } catch {
                if Task.isCancelled { return }
                // The next commit rings again; the records stay in the log until then.
                logger.error("Could not read the delta log for subscriptions: \(error)")
                return
            }
            for change in batch.changes { await publish(change) }
            if batch.last == position { return }
            position = batch.last
        }
    }

    /// Registers a new connection; returns its number.
    func connect() -> Int {
        nextConnection += 1
        connections[nextConnection] = [:]
        return nextConnection
    }

    /// Forgets a connection that ended, with its subscriptions.
    func disconnect(_ connection: Int) {
        for id in Array((connections[connection] ?? [:]).keys) {
            unsubscribe(Subscriber(connection: connection, id: id))
        }
        connections[connection] = nil
        if connections.isEmpty {
            for waiter in idleWaiters { waiter.resume() }
            idleWaiters = []
        }
    }

    /// Returns once no connection is open.
    func waitUntilIdle() async {
        if connections.isEmpty { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Whether a connection may start subscription `subscriber`.
    enum Admission {
        case admitted, duplicate, full
    }

    /// Checks `subscriber`'s id against its connection's running subscriptions and `limit`.
    func admission(of subscriber: Subscriber, limit: Int) -> Admission {
        let running = connections[subscriber.connection] ?? [:]
        if running[subscriber.id] != nil { return .duplicate }
        return running.count >= limit ? .full : .admitted
    }

    /// Registers a subscription; events committed after this call reach `queue`.
    func subscribe(_ subscriber: Subscriber, _ request: SubscriptionRequest, queue: SendQueue) {
        guard connections[subscriber.connection] != nil else { return }
        let key = request.shape
        shapes[key, default: Shape(request: request)].subscribers[subscriber] = queue
        topics[Topic(model: request.model, kind: request.kind), default: []].insert(key)
        connections[subscriber.connection]?[subscriber.id] = key
    }

    /// Removes a subscription, if it runs.
    func unsubscribe(_ subscriber: Subscriber) {
        guard let key = connections[subscriber.connection]?.removeValue(forKey: subscriber.id) else { return }
        shapes[key]?.subscribers[subscriber] = nil
        if let shape = shapes[key], shape.subscribers.isEmpty {
            shapes[key] = nil
            let topic = Topic(model: shape.request.model, kind: shape.request.kind)
            topics[topic]?.remove(key)
            if topics[topic]?.isEmpty == true { topics[topic] = nil }
        }
    }

    /// Ends the subscriptions of shape `key`: their token expired.
    private func expire(_ key: String) {
        guard let shape = shapes[key] else { return }
        for (subscriber, queue) in shape.subscribers {
            queue.send(
                RealtimeServerMessage.error(
                    id: subscriber.id,
                    .unauthorized,
                    "The token \(shape.request.field) was started with has expired; start it again with a fresh one."
                ).text
            )
            unsubscribe(subscriber)
        }
    }

    /// Connections open and subscriptions running.
    var statistics: RealtimeStatistics {
        RealtimeStatistics(
            connections: connections.count,
            subscriptions: connections.values.reduce(0) { $0 + $1.count }
        )
    }

    private func publish(_ change: DataSource.Change) async {
        guard let keys = topics[Topic(model: change.model, kind: change.kind)] else { return }
        for key in keys {
            guard let request = shapes[key]?.request else { continue }
            // Subscriptions whose token expired get no more events: they end, saying why.
            if let expires = request.expires, clock.millisecondsSince1970 >= expires {
                expire(key)
                continue
            }
            if let filter = request.filter, !filter.matches(change.filterValues) { continue }
            // The rules' reach: an event is never sent to a subscriber who may not read its item.
            if request.access != .all {
                guard case .object(let fields) = change.item, request.access.permits(fields) else { continue }
            }
            let payload = await api.payload(request, item: change.item).jsonText
            // Subscribers may have come or gone while the payload was rendered.
            guard let subscribers = shapes[key]?.subscribers else { continue }
            if payload.utf8.count > maximumPayloadSize {
                for (subscriber, queue) in subscribers {
                    queue.send(
                        RealtimeServerMessage.error(
                            id: subscriber.id,
                            .limitExceeded,
                            "An event of \(payload.utf8.count) bytes for \(request.field) exceeds this "
                                + "server's limit of \(maximumPayloadSize) bytes and was not sent; the write is "
                                + "stored, so sync \(change.model) to read it."
                        ).text
                    )
                }
                continue
            }
            for (subscriber, queue) in subscribers {
                queue.send(RealtimeServerMessage.dataFrame(id: subscriber.id, payloadJSON: payload))
            }
        }
    }
}

/// What the real-time endpoint is serving at a moment.
public struct RealtimeStatistics: Equatable, Sendable {
    /// WebSocket connections open.
    public let connections: Int
    /// Subscriptions running, over all connections.
    public let subscriptions: Int
}
