import DataStore
import ServiceLifecycle

/// The requests running under a time budget (``ServerOptions/requestTimeout``), and the
/// cancellation of those that pass it.
///
/// Each request's work runs in a task of its own, so it can be cancelled from outside; one
/// ``TimeBudgetWatch`` per server measures time on the server's clock and cancels what passed its
/// deadline. A timer per request (a task sleeping on the clock, and a stream to race it against
/// the work) cost a quarter of the server's mutation throughput; a table and one watch cost next
/// to nothing.
///
/// Cancelled work that awaits (storage, a webhook, a body still arriving) ends at once; work busy
/// on a CPU ends when it next checks. Either way its result is dropped and the request is answered
/// as over budget.
final class TimeBudgets: Sendable {
    /// The outcome of ``run(_:within:)``.
    enum Outcome<Result: Sendable>: Sendable {
        case finished(Result)
        case exceeded
    }

    private struct State {
        /// Time as the watch measured it, from its start.
        var now: Duration = .zero
        var nextID = 0
        var running: [Int: (deadline: Duration, cancel: @Sendable () -> Void)] = [:]
    }

    private let state = Locked(State())

    /// How many requests are running under a budget.
    var count: Int { state.withLock { $0.running.count } }

    /// Runs `work`, cancelling it once `budget` has passed.
    func run<Result: Sendable>(
        _ work: @escaping @Sendable () async -> Result,
        within budget: Duration
    ) async -> Outcome<Result> {
        let worker = Locked<Task<Result, Never>?>(nil)
        let exceeded = Locked(false)
        // Registered before the work starts, so the work can rely on its deadline being kept.
        let id = state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.running[id] = (
                state.now + budget,
                {
                    exceeded.withLock { $0 = true }
                    worker.withLock { $0?.cancel() }
                }
            )
            return id
        }
        let task = Task { await work() }
        worker.withLock { $0 = task }
        if exceeded.withLock({ $0 }) { task.cancel() }
        let result = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        state.withLock { $0.running[id] = nil }
        return exceeded.withLock { $0 } ? .exceeded : .finished(result)
    }

    /// Moves time forward by `elapsed` and cancels the work whose deadline has come.
    func advance(by elapsed: Duration) {
        let due = state.withLock { state -> [@Sendable () -> Void] in
            state.now += elapsed
            let now = state.now
            let due = state.running.filter { $0.value.deadline <= now }
            for id in due.keys { state.running[id] = nil }
            return due.values.map(\.cancel)
        }
        for cancel in due { cancel() }
    }
}

/// Measures time for ``TimeBudgets`` on the server's clock, every `interval`, until the server
/// shuts down: budgets are kept to within one interval.
struct TimeBudgetWatch: Service {
    let budgets: TimeBudgets
    let interval: Duration
    let clock: any WallClock

    func run() async {
        await cancelWhenGracefulShutdown {
            await watch(clock)
        }
    }

    private func watch<C: Clock<Duration>>(_ clock: C) async {
        var last = clock.now
        while (try? await clock.sleep(for: interval)) != nil {
            let now = clock.now
            budgets.advance(by: last.duration(to: now))
            last = now
        }
    }
}
