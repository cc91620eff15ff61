import DataStore
import DequeModule

/// The frames waiting to be written to one real-time connection.
///
/// Producers (the hub fanning out an event, the connection answering a message, the keep-alive
/// timer) never wait: ``send(_:)`` appends and returns. The connection's writer drains the queue
/// as fast as the socket takes it. When more than ``limit`` bytes are waiting — a client that
/// does not read — the queue is dropped and marked overflowed: the writer tells the client and
/// closes the connection. Memory per connection stays bounded, and no event is lost silently.
final class SendQueue: Sendable {
    /// What the writer does next.
    enum Next: Equatable {
        /// Write this frame.
        case frame(String)
        /// Nothing waits; wait for ``changed``.
        case idle
        /// The client fell too far behind: tell it and close.
        case overflowed
        /// The connection is ending: close after the frames already taken.
        case finished
    }

    private struct State {
        var frames: Deque<String> = []
        var bytes = 0
        var overflowed = false
        var finished = false
    }

    /// The most bytes of frames that may wait.
    let limit: Int
    private let state = Locked(State())
    /// Signals that frames were added or the state changed; the writer takes everything then.
    let changed = WorkSignal()
    /// Signals once the queue overflowed or finished: the connection is ending, and its socket is
    /// closed after a grace period even if the writer is stuck behind a client that reads nothing.
    let ending = WorkSignal()

    init(limit: Int) {
        self.limit = limit
    }

    /// Queues a frame. Returns false when the connection is ending or has overflowed (the frame
    /// is not sent); overflows when the frame would take the queue past ``limit``.
    @discardableResult
    func send(_ frame: String) -> Bool {
        let size = frame.utf8.count
        let (accepted, overflowed) = state.withLock { state -> (Bool, Bool) in
            guard !state.finished, !state.overflowed else { return (false, false) }
            if state.bytes + size > limit, !state.frames.isEmpty {
                state.overflowed = true
                state.frames = []
                state.bytes = 0
                return (false, true)
            }
            state.frames.append(frame)
            state.bytes += size
            return (true, false)
        }
        changed.notify()
        if overflowed { ending.notify() }
        return accepted
    }

    /// Takes the oldest waiting frame. One at a time, so the bytes the writer has not yet
    /// handed to the socket always count against ``limit``.
    func next() -> Next {
        state.withLock { state in
            if state.overflowed { return .overflowed }
            if let frame = state.frames.popFirst() {
                state.bytes -= frame.utf8.count
                return .frame(frame)
            }
            return state.finished ? .finished : .idle
        }
    }

    /// Ends the queue: frames already queued are still written, later ones refused.
    func finish() {
        state.withLock { $0.finished = true }
        changed.notify()
        ending.notify()
    }

    /// Ends both signals, so tasks waiting on them return.
    func close() {
        changed.finish()
        ending.finish()
    }
}
