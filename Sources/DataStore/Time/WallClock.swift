import Foundation

/// The one way time enters swift-datastore: a clock that timers sleep on and whose instants are
/// also wall-clock times, so that the stamps a write gets (`_lastChangedAt`, `startedAt`, outbox
/// times, TTLs) and the timers that act on them (keep-alives, deadlines, purges, back-off) move
/// together.
///
/// ``SystemClock`` is the real one; `ManualClock` (in `DataStoreTesting`) moves only when a test
/// says so.
public protocol WallClock: Clock, Sendable where Duration == Swift.Duration {
    /// The wall-clock time of `now`, in milliseconds since 1970 (an `AWSTimestamp`).
    var millisecondsSince1970: Int64 { get }
}

/// The system's time: sleeps on the continuous clock, reads the wall clock from the system.
public struct SystemClock: WallClock {
    private let clock = ContinuousClock()

    /// The defaults.
    public init() {}

    /// The current instant.
    public var now: ContinuousClock.Instant { clock.now }
    /// The smallest step the clock measures.
    public var minimumResolution: Duration { clock.minimumResolution }

    /// Suspends until `deadline`, or throws `CancellationError` when the task is cancelled first.
    public func sleep(until deadline: ContinuousClock.Instant, tolerance: Duration? = nil) async throws {
        try await clock.sleep(until: deadline, tolerance: tolerance)
    }

    /// The system's wall-clock time.
    public var millisecondsSince1970: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

extension Duration {
    /// The duration in whole milliseconds (rounded towards zero; a duration beyond Int64's
    /// milliseconds gives the largest or smallest value).
    package var milliseconds: Int64 { wholeUnits(perSecond: 1_000) }

    /// The duration in whole nanoseconds (rounded towards zero; a duration beyond Int64's
    /// nanoseconds, some 292 years, gives the largest or smallest value).
    package var nanoseconds: Int64 { wholeUnits(perSecond: 1_000_000_000) }

    /// The duration in units of which a second holds `perSecond` (a divisor of 10¹⁸), saturating.
    private func wholeUnits(perSecond: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: perSecond)
        guard !overflow else { return seconds > 0 ? .max : .min }
        let (sum, sumOverflow) = whole.addingReportingOverflow(attoseconds / (1_000_000_000_000_000_000 / perSecond))
        return sumOverflow ? (whole > 0 ? .max : .min) : sum
    }
}
