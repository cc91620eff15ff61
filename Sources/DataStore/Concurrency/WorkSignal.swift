/// A one-slot "there is work" signal between tasks: the data lives elsewhere (a table, a log, a
/// queue), so any number of ``notify()`` calls while the consumer is busy collapse into one
/// pending wake-up, and memory stays constant however fast producers go.
///
/// ```swift
/// let signal = WorkSignal()
/// // producer, after storing the work:
/// signal.notify()
/// // consumer:
/// for await _ in signal.wakeUps { drainEverythingPending() }
/// ```
package struct WorkSignal: Sendable {
    /// One element per wake-up; ends after ``finish()``.
    package let wakeUps: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    package init() {
        // One slot on purpose: the consumer takes all pending work when it wakes, so a second
        // buffered wake-up would only make it look again at nothing.
        (wakeUps, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Wakes the consumer, or leaves one wake-up pending if it is busy.
    package func notify() {
        continuation.yield()
    }

    /// Ends ``wakeUps`` once the pending wake-up, if any, was taken.
    package func finish() {
        continuation.finish()
    }

    /// Runs `action` once the consumer's sequence ends (finished, or its task cancelled).
    package func onTermination(_ action: @escaping @Sendable () -> Void) {
        continuation.onTermination = { _ in action() }
    }
}
