import DataStore
import DataStoreAppSync

/// Whether the backend can be reached, as far as this device can tell, and when to look again
/// while it cannot: pure, so that its rules are tested without a network.
///
/// Linux has no system path monitor; the evidence is what requests and the real-time socket
/// find. Any answer (even an error status) means reachable; a connection that cannot be made or
/// that dies means not. While unreachable, the monitor probes the backend, waiting longer after
/// each failed probe (``probeDelay(using:)``), so that regaining the network is noticed even when
/// nothing else is sent.
struct Reachability: Hashable, Sendable {
    /// The status reported last; nil before anything was learned.
    private(set) var isActive: Bool?
    /// Probes that failed since the backend was last reached.
    private(set) var failedProbes = 0
    let probes: RetryPolicy

    init(probes: RetryPolicy) {
        self.probes = probes
    }

    /// Records what a request, a socket or a probe found; returns the new status when it changed.
    mutating func record(reached: Bool) -> Bool? {
        if reached { failedProbes = 0 }
        guard isActive != reached else { return nil }
        isActive = reached
        return reached
    }

    /// Whether the monitor should be probing now.
    var isProbing: Bool { isActive == false }

    /// Records a failed probe.
    mutating func probeFailed() {
        failedProbes += 1
    }

    /// How long to wait before the next probe: the first soon, then longer after each failure,
    /// up to the policy's cap, jittered.
    func probeDelay<Random: RandomNumberGenerator>(using random: inout Random) -> Duration {
        probes.delay(forAttempt: failedProbes, using: &random)
    }
}

/// Keeps ``Reachability`` for a synced store: takes the outcome of every request and socket,
/// publishes each change as a `networkStatus` event (and to the running engine), and probes the
/// backend while it is unreachable (``run(onChange:)``, a child of the engine's run).
actor ReachabilityMonitor {
    private struct State {
        var reachability: Reachability
        /// The running engine's input, told of every change.
        var listener: (@Sendable (Bool) -> Void)?
        /// Rung when the backend becomes unreachable, while a probe loop runs.
        var prober: WorkSignal?
    }

    private nonisolated let state: Locked<State>
    private nonisolated let events: EventBroadcaster
    private let clock: any WallClock
    /// What probes go through (not observed: the monitor records their outcome itself).
    private let transport: any GraphQLTransport

    init(transport: any GraphQLTransport, events: EventBroadcaster, clock: any WallClock, probes: RetryPolicy) {
        self.transport = transport
        self.events = events
        self.clock = clock
        state = Locked(State(reachability: Reachability(probes: probes)))
    }

    /// The cheapest request a GraphQL backend answers: any answer, even an error, shows it is
    /// reachable.
    static let probe = OperationRequest(query: "query Reachability { __typename }", operationName: "Reachability")

    /// Records what a request or the socket found.
    nonisolated func record(reached: Bool) {
        // Changed and published under the lock, so that two outcomes recorded together publish
        // in the order their changes were made.
        state.withLock { state in
            guard let change = state.reachability.record(reached: reached) else { return }
            events.yield(.networkStatus(isActive: change))
            state.listener?(change)
            if !change { state.prober?.notify() }
        }
    }

    /// Whether the backend was reachable when last heard of (nil: not heard of yet).
    nonisolated var isActive: Bool? { state.withLock { $0.reachability.isActive } }

    /// Tells `onChange` of every change and probes the backend whenever it is unreachable, until
    /// the task is cancelled.
    func run(onChange: @escaping @Sendable (Bool) -> Void) async {
        let prober = WorkSignal()
        let down = state.withLock { state in
            state.listener = onChange
            state.prober = prober
            return state.reachability.isProbing
        }
        defer {
            state.withLock { state in
                state.listener = nil
                state.prober = nil
            }
        }
        if down { prober.notify() }
        var random = SystemRandomNumberGenerator()
        for await _ in prober.wakeUps {
            while state.withLock({ $0.reachability.isProbing }), !Task.isCancelled {
                let delay = state.withLock { $0.reachability }.probeDelay(using: &random)
                do { try await clock.sleep(for: delay) } catch { return }
                // Something else may have reached the backend meanwhile.
                guard state.withLock({ $0.reachability.isProbing }) else { break }
                do {
                    _ = try await transport.send(Self.probe)
                    record(reached: true)
                } catch {
                    if case .transport = error {
                        state.withLock { $0.reachability.probeFailed() }
                    } else {
                        record(reached: true)
                    }
                }
            }
            if Task.isCancelled { return }
        }
    }
}
