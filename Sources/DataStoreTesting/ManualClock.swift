public import DataStore

/// A clock that moves only when told to, so timers (keep-alives, deadlines, purges, backoff) run
/// instantly and deterministically in tests.
///
/// ```swift
/// let clock = ManualClock()
/// configuration.clock = clock      // a ServerConfiguration, or DataStore.Configuration
/// await clock.sleepers(atLeast: 1)   // the timer under test is waiting
/// clock.advance(by: .seconds(60))    // and now it fires
/// ```
///
/// When other timers come and go (a keep-alive that re-arms, a connection that is closing), wait
/// for the one under test by its deadline instead of counting sleepers:
///
/// ```swift
/// let deadline = clock.now.advanced(by: .seconds(30))
/// // … start what arms a 30-second timer …
/// await clock.sleeper(dueAt: deadline)
/// ```
public final class ManualClock: WallClock {
    /// A moment on the clock: the time since it was made.
    public struct Instant: InstantProtocol {
        /// Time since the clock was made.
        public let offset: Duration

        /// The instant `duration` later.
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        /// The time from this instant to `other`.
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        /// Whether `lhs` comes before `rhs`.
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
        /// Tasks waiting for sleepers: for a number of them, or for one with a given deadline.
        var watchers: [(until: Watch, continuation: CheckedContinuation<Void, Never>)] = []

        func holds(_ watch: Watch) -> Bool {
            switch watch {
            case .count(let count): sleepers.count >= count
            case .deadline(let deadline): sleepers.values.contains { $0.deadline == deadline }
            }
        }
    }

    private enum Watch {
        case count(Int)
        case deadline(Instant)
    }

    private let state = Locked(State())
    /// The wall-clock time of the clock's first instant, in milliseconds since 1970.
    public let startMillisecondsSince1970: Int64

    /// A clock at `startMillisecondsSince1970` (by default 2026-09-21T11:33:20Z: a fixed time, so
    /// tests read the same stamps on every run).
    public init(startMillisecondsSince1970: Int64 = 1_790_000_000_000) {
        self.startMillisecondsSince1970 = startMillisecondsSince1970
    }

    /// The start time plus the time the clock was advanced.
    public var millisecondsSince1970: Int64 { startMillisecondsSince1970 + now.offset.milliseconds }

    /// The current instant.
    public var now: Instant { state.withLock { $0.now } }
    /// The smallest step the clock measures.
    public var minimumResolution: Duration { .zero }

    /// Suspends until `deadline`, or throws `CancellationError` when the task is cancelled first.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resume: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    Self.wakeWatchers(&state)
                    return nil
                }
                if let resume { continuation.resume(with: resume) }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward, waking every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// How many tasks are sleeping on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Returns once at least `count` tasks are sleeping on this clock.
    public func sleepers(atLeast count: Int) async {
        await wait(until: .count(count))
    }

    /// Returns once a task sleeps until `deadline`.
    public func sleeper(dueAt deadline: Instant) async {
        await wait(until: .deadline(deadline))
    }

    /// Whether a task sleeps until `deadline`.
    public func hasSleeper(dueAt deadline: Instant) -> Bool {
        state.withLock { $0.holds(.deadline(deadline)) }
    }

    private func wait(until watch: Watch) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.holds(watch) { return true }
                state.watchers.append((watch, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private static func wakeWatchers(_ state: inout State) {
        var waiting: [(until: Watch, continuation: CheckedContinuation<Void, Never>)] = []
        for watcher in state.watchers {
            if state.holds(watcher.until) { watcher.continuation.resume() } else { waiting.append(watcher) }
        }
        state.watchers = waiting
    }
}
