import DataStore

/// When the outbox sends a mutation again after a failure that may pass (no connection, a
/// timeout, a 5xx, throttling): capped exponential back-off with full jitter.
///
/// The `n`th retry (from 0) waits a random time between zero and `min(maximumDelay, initialDelay ×
/// 2ⁿ)`, so clients that failed together do not retry together. A server's `Retry-After` is a
/// floor: the wait is at least that long, even past the cap. The clock is the store's, so tests
/// advance a manual clock instead of sleeping.
public struct RetryPolicy: Hashable, Sendable {
    /// The bound of the first retry's wait.
    public var initialDelay: Duration
    /// The largest wait the back-off chooses (Amplify's clients stop growing at 5 minutes).
    public var maximumDelay: Duration

    /// - Parameters:
    ///   - initialDelay: the bound of the first retry's wait (default 100 ms).
    ///   - maximumDelay: the cap of every wait the back-off chooses (default 5 minutes).
    public init(initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(300)) {
        self.initialDelay = max(initialDelay, .zero)
        self.maximumDelay = max(maximumDelay, self.initialDelay)
    }

    /// The bound of the wait before retry number `attempt` (from 0): `initialDelay × 2^attempt`,
    /// capped.
    public func bound(forAttempt attempt: Int) -> Duration {
        let doublings = min(max(attempt, 0), 62)
        // Doubling in milliseconds stops at the cap long before it could overflow.
        var bound = initialDelay
        for _ in 0..<doublings {
            bound *= 2
            if bound >= maximumDelay { return maximumDelay }
        }
        return min(bound, maximumDelay)
    }

    /// The wait before retry number `attempt`: uniform in `0...bound(forAttempt:)` by `random`,
    /// and at least `retryAfter`.
    public func delay(
        forAttempt attempt: Int,
        retryAfter: Duration? = nil,
        using random: inout some RandomNumberGenerator
    ) -> Duration {
        let boundNanoseconds = max(bound(forAttempt: attempt).nanoseconds, 0)
        let jittered = Duration.nanoseconds(Int64.random(in: 0...boundNanoseconds, using: &random))
        guard let retryAfter else { return jittered }
        return max(jittered, retryAfter)
    }
}
