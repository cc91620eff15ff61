/// A run of the sync engine as one state machine: what it waits for, and what it does when an
/// input arrives. Pure — the transitions are tested without a network, and the engine's run
/// carries out the effects (ARCHITECTURE §7).
///
/// A run subscribes first (when the backend's real-time endpoint is known), so that no change
/// falls between the first sync's pages and the live ones; then runs the first sync round; then
/// announces `ready` and starts the outbox. From then on a round runs after every
/// (re)connection of the subscriptions, whenever a model's next sync falls due, and when live
/// changes did not fit the inbox — one at a time: a round asked for while one runs follows it.
/// When the network comes back, every back-off under way ends — the outbox's sends, the sync
/// queries' retries, the socket's reconnection (whose connection brings a round).
struct SyncMachine: Hashable, Sendable {
    enum Phase: Hashable, Sendable {
        case stopped
        /// Waiting for the subscriptions to come up (or to fail) before the first round.
        case subscribing
        /// The first round runs.
        case syncing
        /// Synced once: the outbox sends, and rounds run when due.
        case ready
    }

    enum Input: Hashable, Sendable {
        /// The run starts; `subscribes`: it keeps a real-time connection.
        case start(subscribes: Bool)
        /// The subscriptions are up: every one acknowledged or refused.
        case subscribed
        /// A connection attempt failed, or the connection ended.
        case unsubscribed
        /// A sync round ended.
        case roundFinished
        /// A round is due: a model's next sync fell due, or live changes did not fit the inbox.
        case roundDue
        /// The backend became reachable (true) or unreachable.
        case network(isActive: Bool)
        /// The run ends.
        case stop
    }

    enum Effect: Hashable, Sendable {
        /// Keep the real-time connection up from now on.
        case subscribe
        /// Run a sync round of every model.
        case syncRound
        /// Emit `ready`.
        case announceReady
        /// Start sending the outbox.
        case startOutbox
        /// End every back-off under way (sends, sync queries, the socket's): the network is back.
        case retryNow
    }

    private(set) var phase = Phase.stopped
    private(set) var subscribes = false
    private(set) var isRoundRunning = false
    /// A round was asked for while one ran.
    private(set) var isRoundRequested = false
    /// The reachability last reported; nil before the first report.
    private(set) var isNetworkActive: Bool?

    /// Applies `input`; returns what to do, in order.
    mutating func handle(_ input: Input) -> [Effect] {
        switch (input, phase) {
        case (.start(let subscribes), .stopped):
            self = SyncMachine()
            self.subscribes = subscribes
            if subscribes {
                phase = .subscribing
                return [.subscribe]
            }
            phase = .syncing
            return beginRound()
        case (.start, _), (_, .stopped):
            return []
        case (.stop, _):
            self = SyncMachine()
            return []
        case (.subscribed, .subscribing), (.unsubscribed, .subscribing):
            // The first round goes once the subscriptions are up, or without them when they
            // could not be.
            phase = .syncing
            return beginRound()
        case (.subscribed, _):
            // A connection made after the first round began missed what changed while it was
            // down: a round brings it.
            return requestRound()
        case (.unsubscribed, _):
            // The socket reconnects by itself; its connection will ask for a round.
            return []
        case (.roundFinished, _):
            isRoundRunning = false
            var effects: [Effect] = []
            if phase == .syncing {
                phase = .ready
                effects = [.announceReady, .startOutbox]
            }
            if isRoundRequested { effects += beginRound() }
            return effects
        case (.roundDue, .subscribing):
            // The first round is coming.
            return []
        case (.roundDue, _):
            return requestRound()
        case (.network(let isActive), _):
            let regained = isActive && isNetworkActive == false
            isNetworkActive = isActive
            guard regained else { return [] }
            // Without subscriptions, no reconnection brings what changed meanwhile: a round does.
            return [.retryNow] + (subscribes ? [] : requestRound())
        }
    }

    /// A round now, or after the one that runs.
    private mutating func requestRound() -> [Effect] {
        guard !isRoundRunning else {
            isRoundRequested = true
            return []
        }
        return beginRound()
    }

    private mutating func beginRound() -> [Effect] {
        isRoundRunning = true
        isRoundRequested = false
        return [.syncRound]
    }
}
