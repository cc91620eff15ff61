/// A local mutation the backend refused for good: kept, with the reason, until the app retries or
/// discards it. Nothing the outbox gives up on is dropped silently.
public struct DeadLetter: Hashable, Sendable {
    /// The mutation as it was waiting in the outbox.
    public let entry: OutboxEntry
    /// When the outbox gave up on it, in milliseconds since 1970.
    public let failedAt: Int64
    /// Why: the backend's error, or what else made sending it hopeless.
    public let reason: String

    package init(entry: OutboxEntry, failedAt: Int64, reason: String) {
        self.entry = entry
        self.failedAt = failedAt
        self.reason = reason
    }
}
