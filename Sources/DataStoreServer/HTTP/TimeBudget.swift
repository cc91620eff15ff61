import DataStore

/// Runs a request's work within a time budget: when the budget ends first, the work is
/// cancelled and the request is answered at once with an error.
///
/// The work runs in a task of its own, so the answer does not wait for work that is slow to
/// notice its cancellation (a resolver inside a library, a storage call): it ends on its own and
/// its result is dropped. Cancelling the caller (the client left, the server is shutting down)
/// cancels the work and the timer too.
enum TimeBudget {
    /// The outcome of ``run(_:within:clock:)``.
    enum Outcome<Result: Sendable>: Sendable {
        case finished(Result)
        case exceeded
    }

    static func run<Result: Sendable>(
        _ work: @escaping @Sendable () async -> Result,
        within budget: Duration,
        clock: any Clock<Duration>
    ) async -> Outcome<Result> {
        // The first outcome is the answer; the other's is dropped.
        let (outcomes, continuation) = AsyncStream.makeStream(
            of: Outcome<Result>.self,
            bufferingPolicy: .bufferingOldest(1)
        )
        let worker = Task {
            continuation.yield(.finished(await work()))
            continuation.finish()
        }
        let timer = Task {
            guard (try? await clock.sleep(for: budget)) != nil else { return }
            continuation.yield(.exceeded)
            continuation.finish()
        }
        let outcome = await withTaskCancellationHandler {
            var iterator = outcomes.makeAsyncIterator()
            return await iterator.next() ?? .exceeded
        } onCancel: {
            worker.cancel()
            timer.cancel()
            continuation.finish()
        }
        timer.cancel()
        if case .exceeded = outcome { worker.cancel() }
        return outcome
    }
}
