public import DataStore

/// What a ``SyncedStore`` reports on ``SyncedStore/events``, in the order it happens.
public enum SyncEvent: Hashable, Sendable {
    /// The backend became reachable (true) or not (false), as requests find out: any answer
    /// means reachable, a connection that fails or times out means not. Reported on changes
    /// only, the first time when the first request ends.
    case networkStatus(isActive: Bool)
    /// The real-time connection is up: every subscription was acknowledged, or refused (the
    /// models named; their changes arrive with sync queries only). Sent on every connection.
    case subscriptionsEstablished(refused: [String])
    /// A run's sync queries start, for these models in this order.
    case syncQueriesStarted(models: [String])
    /// One model's sync query finished.
    case modelSynced(ModelSyncedEvent)
    /// Every model's sync query finished.
    case syncQueriesReady
    /// The run synced and the outbox sends: local writes go out as they are made.
    case ready
    /// A local write entered the outbox.
    case outboxMutationEnqueued(OutboxMutationEvent)
    /// The backend applied a local write.
    case outboxMutationProcessed(OutboxMutationEvent)
    /// The backend refused a local write for good; it is in the dead letters.
    case outboxMutationFailed(OutboxMutationEvent, reason: String)
    /// Whether the outbox has nothing left to send.
    case outboxStatus(isEmpty: Bool)
}

/// A model's finished sync query.
public struct ModelSyncedEvent: Hashable, Sendable {
    /// The model's name.
    public let modelName: String
    /// A base (full) sync rather than a delta.
    public let isFullSync: Bool
    /// Records created, updated and deleted locally by the sync.
    public let created: Int
    /// See ``created``.
    public let updated: Int
    /// See ``created``.
    public let deleted: Int
    /// Local records removed because the backend no longer returns them for the model's sync
    /// expression (after a complete base sync).
    public let evicted: Int
}

/// A local write in the outbox.
public struct OutboxMutationEvent: Hashable, Sendable {
    /// The model's name.
    public let modelName: String
    /// The record's identifier as text.
    public let modelID: String
    /// What the write does.
    public let kind: OutboxEntry.Kind
}

/// Hands events to every current subscriber, each with a bounded buffer of its own.
///
/// Events report state; the data they describe lives in the store. A subscriber more than
/// ``bufferSize`` events behind loses the oldest ones it has not read (it can always read the
/// state from the store), and no subscriber slows sync down.
final class EventBroadcaster: Sendable {
    static let bufferSize = 256
    private let subscribers = Locked<(next: Int, continuations: [Int: AsyncStream<SyncEvent>.Continuation])>(
        (0, [:])
    )

    /// A new subscription, ended by ``finish()`` or when its consumer goes away.
    func stream() -> AsyncStream<SyncEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: SyncEvent.self,
            bufferingPolicy: .bufferingNewest(Self.bufferSize)
        )
        let number = subscribers.withLock { state in
            defer { state.next += 1 }
            state.continuations[state.next] = continuation
            return state.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.continuations.removeValue(forKey: number) }
        }
        return stream
    }

    func yield(_ event: SyncEvent) {
        for continuation in subscribers.withLock({ Array($0.continuations.values) }) { continuation.yield(event) }
    }

    func finish() {
        for continuation in subscribers.withLock({ Array($0.continuations.values) }) { continuation.finish() }
    }
}
