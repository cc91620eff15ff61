import DataStore

/// Writes the outbox's answers to the store in batches: answers that arrive while a batch is
/// being written go into the next one, one transaction (and one commit) for all of them.
///
/// There is no writer task: the first sender to arrive writes, and when answers arrived while it
/// wrote, it hands the writing over to one of them, so that no sender waits for more than the
/// batch ahead of it and its own. At most one answer per send in flight waits here.
actor SettleQueue {
    private let engine: StorageEngine
    /// Told of every answer written (the echoes of these writes are then known).
    private let recentlySettled: RecentlySettled
    /// Answers waiting for the next batch; the one without a continuation belongs to the sender
    /// that writes it.
    private var waiting: [(settlement: StorageEngine.Settlement, turn: CheckedContinuation<Turn, Never>?)] = []
    private var isWriting = false

    /// What a waiting sender is told.
    private enum Turn {
        /// Its answer was written (true) or could not be (false).
        case done(Bool)
        /// It writes the next batch, its own answer among them.
        case write
    }

    init(engine: StorageEngine, recentlySettled: RecentlySettled = RecentlySettled()) {
        self.engine = engine
        self.recentlySettled = recentlySettled
    }

    /// Writes `settlement` with whatever else is waiting; returns whether it was written (when
    /// not, nothing of it was).
    func settle(_ settlement: StorageEngine.Settlement) async -> Bool {
        if isWriting {
            let turn = await withCheckedContinuation { waiting.append((settlement, $0)) }
            if case .done(let written) = turn { return written }
        } else {
            isWriting = true
            waiting.append((settlement, nil))
        }
        let batch = waiting
        waiting = []
        let written = await write(batch.map(\.settlement))
        for (item, result) in zip(batch, written) where result {
            let entry = item.settlement.entry
            if let version = item.settlement.remote?.state.version {
                recentlySettled.add(model: entry.modelName, id: entry.modelID, version: version)
            }
        }
        var own = false
        for (item, result) in zip(batch, written) {
            if let turn = item.turn { turn.resume(returning: .done(result)) } else { own = result }
        }
        if let next = waiting.first?.turn {
            // The first that arrived meanwhile writes the next batch, its own answer among them.
            waiting[0].turn = nil
            next.resume(returning: .write)
        } else {
            isWriting = false
        }
        return own
    }

    /// Writes a batch in one transaction; when that fails, each answer on its own, so that one
    /// that cannot be written does not hold back the others.
    private func write(_ settlements: [StorageEngine.Settlement]) async -> [Bool] {
        do {
            try await engine.settle(settlements)
            return settlements.map { _ in true }
        } catch {
            guard settlements.count > 1 else { return [false] }
            var written: [Bool] = []
            for settlement in settlements {
                written.append((try? await engine.settle([settlement])) != nil)
            }
            return written
        }
    }
}
