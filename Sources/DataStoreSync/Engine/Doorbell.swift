import DataStore

/// A one-slot doorbell: ``ring()`` wakes the task in ``wait()``, or the next one to wait when none
/// is; rings while nobody waits collapse into one. A waiting task that is cancelled returns at
/// once. It lets a task sleep until a time or until something changes, whichever comes first.
final class Doorbell: Sendable {
    private let state = Locked<(rung: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func ring() {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.rung = true
                return CheckedContinuation<Void, Never>?.none
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when the bell rings (or rang since the last wait), or when the task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.rung || Task.isCancelled {
                        state.rung = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    /// Sleeps for `duration` on `clock`, or less if the bell rings first; true when the time
    /// passed, false when the bell rang or the task was cancelled.
    func sleep(for duration: Duration, on clock: any WallClock) async -> Bool {
        await sleepUnlessWoken(for: duration, on: clock) { await self.wait() }
    }
}

/// Wakes every task sleeping on it at once (``ring()``): the network came back, and every wait
/// of a back-off may end now. A sleep ends early when the alarm rang since the generation it is
/// given — the one read before the attempt it follows, so that a ring during a request is not
/// missed — and later rings do not reach later attempts.
final class Alarm: Sendable {
    private struct State {
        var generation = 0
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Locked(State())

    func ring() {
        let waiters = state.withLock { state in
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// How many times the alarm rang: read before an attempt, given to the sleep after it.
    var generation: Int { state.withLock { $0.generation } }

    /// Sleeps for `duration` on `clock`, or less if the alarm rings (or rang since `generation`);
    /// true when the time passed, false when the alarm rang or the task was cancelled.
    func sleep(for duration: Duration, on clock: any WallClock, since generation: Int) async -> Bool {
        await sleepUnlessWoken(for: duration, on: clock) { await self.wait(after: generation) }
    }

    /// Returns once the alarm rang after `generation`, or when the task is cancelled.
    private func wait(after generation: Int) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.generation != generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

/// Sleeps for `duration` on `clock` unless `woken` returns first (it is cancelled then, as the
/// sleep is when `woken` returns); true when the time passed, false when woken or cancelled.
private func sleepUnlessWoken(
    for duration: Duration,
    on clock: any WallClock,
    _ woken: @escaping @Sendable () async -> Void
) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            do {
                try await clock.sleep(for: duration)
                return true
            } catch {
                return false
            }
        }
        group.addTask {
            await woken()
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first && !Task.isCancelled
    }
}
