import Synchronization

/// Delivers committed changes to observers.
///
/// The storage engine publishes each commit's batch synchronously, on its serial executor, right
/// after the commit, so observers see batches in commit order. Subscribers do only cheap, non-
/// blocking work in `deliver` (yield to a bounded stream, append to a bounded list).
final class ChangeHub: Sendable {
    struct Subscriber: Sendable {
        /// The models whose changes the subscriber wants.
        let modelName: String
        let deliver: @Sendable (ChangeBatch) -> Void
        /// Ends the subscriber's sequence: normally when the store closes.
        let finish: @Sendable () -> Void
    }

    private struct State {
        var nextID: UInt64 = 0
        var subscribers: [UInt64: Subscriber] = [:]
        var isFinished = false
    }

    private let state = Mutex(State())

    /// Registers a subscriber; returns nil (and finishes it) when the hub has already finished.
    func subscribe(_ subscriber: Subscriber) -> UInt64? {
        let id: UInt64? = state.withLock { state in
            guard !state.isFinished else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = subscriber
            return state.nextID
        }
        if id == nil { subscriber.finish() }
        return id
    }

    func unsubscribe(_ id: UInt64) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }

    /// Whether anyone observes `modelName`.
    func hasSubscribers(for modelName: String) -> Bool {
        state.withLock { state in state.subscribers.values.contains { $0.modelName == modelName } }
    }

    /// The number of live subscribers (for tests that check nothing is left behind).
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    func publish(_ batch: ChangeBatch) {
        let subscribers = state.withLock { state in Array(state.subscribers.values) }
        for subscriber in subscribers where batch.modelNames.contains(subscriber.modelName) {
            subscriber.deliver(batch)
        }
    }

    /// Ends every subscriber's sequence and refuses new subscribers.
    func finish() {
        let subscribers = state.withLock { state in
            state.isFinished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
