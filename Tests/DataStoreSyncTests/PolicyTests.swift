import CorpusRecursive
import DataStore
import DataStoreAppSync
import DataStoreTesting
import Testing

@testable import DataStoreSync

@Suite("Sync policy: merges, failure classes, back-off")
struct PolicyTests {
    typealias Kind = OutboxEntry.Kind

    @Test("every enqueue pair, with the newest pending row in flight or not, conditional or not")
    func mergeTable() {
        let kinds: [Kind] = [.create, .update, .delete]
        // Unconditional, not in flight: the table of ARCHITECTURE §7.
        let merged: [Kind: [Kind: OutboxMerge.Decision]] = [
            .create: [.create: .replace(.create), .update: .replace(.create), .delete: .cancel],
            .update: [.create: .replace(.create), .update: .replace(.update), .delete: .replace(.delete)],
            .delete: [.create: .replace(.update), .update: .replace(.update), .delete: .replace(.delete)],
        ]
        var cases = 0
        for pendingKind in kinds {
            for incoming in kinds {
                for inFlight in [false, true] {
                    for pendingConditional in [false, true] {
                        for incomingConditional in [false, true] {
                            let decision = OutboxMerge.decide(
                                incoming,
                                isConditional: incomingConditional,
                                newest: .init(kind: pendingKind, inFlight: inFlight, isConditional: pendingConditional)
                            )
                            let expected =
                                inFlight || pendingConditional || incomingConditional
                                ? .append(incoming) : merged[pendingKind]![incoming]!
                            #expect(
                                decision == expected,
                                "\(pendingKind) (in flight: \(inFlight), conditional: \(pendingConditional)) + \(incoming) (conditional: \(incomingConditional))"
                            )
                            cases += 1
                        }
                    }
                }
            }
        }
        #expect(cases == 72)
        for kind in kinds {
            #expect(OutboxMerge.decide(kind, isConditional: false, newest: nil) == .append(kind))
            #expect(OutboxMerge.decide(kind, isConditional: true, newest: nil) == .append(kind))
        }
    }

    @Test("failures sort into retry, pause, conflict, failed condition and fatal")
    func classifier() {
        func error(_ type: String?, data: FieldValue? = nil) -> AppSyncError {
            AppSyncError(type.map(AppSyncErrorType.init(rawValue:)), "message of \(type ?? "none")", data: data)
        }
        let server: FieldValue = ["id": "1", "_version": 3]
        let table: [(SendFailure, FailureClass)] = [
            (.transport("connection refused"), .retry(retryAfter: nil)),
            (.malformed("<html>"), .retry(retryAfter: nil)),
            (.status(503, retryAfter: nil, errors: []), .retry(retryAfter: nil)),
            (.status(500, retryAfter: nil, errors: [error("InternalFailureException")]), .retry(retryAfter: nil)),
            (.status(429, retryAfter: .seconds(7), errors: []), .retry(retryAfter: .seconds(7))),
            (.status(408, retryAfter: nil, errors: []), .retry(retryAfter: nil)),
            (
                .status(401, retryAfter: nil, errors: [error("UnauthorizedException")]),
                .pause("UnauthorizedException: message of UnauthorizedException")
            ),
            (.status(403, retryAfter: nil, errors: []), .pause("HTTP 403: not authorized")),
            (
                .status(400, retryAfter: nil, errors: [error("BadRequestException")]),
                .fatal("BadRequestException: message of BadRequestException")
            ),
            (.status(404, retryAfter: nil, errors: []), .fatal("HTTP 404 without an AppSync error")),
            (.errors([error("ConflictUnhandled", data: server)]), .conflict(remote: server)),
            (.errors([error("ConflictUnhandled")]), .conflict(remote: nil)),
            (
                .errors([error("ConditionalCheckFailedException")]),
                .conditionFailed("message of ConditionalCheckFailedException")
            ),
            (
                .errors([error("DynamoDB:ConditionalCheckFailedException")]),
                .conditionFailed("message of DynamoDB:ConditionalCheckFailedException")
            ),
            // Credentials refused: new ones may pass.
            (
                .errors([error("UnauthorizedException")]),
                .pause("UnauthorizedException: message of UnauthorizedException")
            ),
            (
                .errors([error("ConflictUnhandled"), error("UnauthorizedException")]),
                .pause(
                    "ConflictUnhandled: message of ConflictUnhandled; UnauthorizedException: message of "
                        + "UnauthorizedException"
                )
            ),
            // The rules refuse this user: a fresh token of the same user changes nothing.
            (.errors([error("Unauthorized")]), .fatal("Unauthorized: message of Unauthorized")),
            (.errors([error("ExecutionTimeout")]), .retry(retryAfter: nil)),
            (.errors([error("DynamoDB:ProvisionedThroughputExceededException")]), .retry(retryAfter: nil)),
            (.errors([error("ThrottlingException"), error("InternalFailureException")]), .retry(retryAfter: nil)),
            (.errors([error("OperationDisabled")]), .fatal("OperationDisabled: message of OperationDisabled")),
            (.errors([error(nil)]), .fatal("message of none")),
            (
                .errors([error("ConflictUnhandled"), error("ConflictUnhandled")]),
                .fatal(
                    "ConflictUnhandled: message of ConflictUnhandled; ConflictUnhandled: message of ConflictUnhandled"
                )
            ),
            (.errors([]), .fatal("an answer with an empty errors list")),
        ]
        for (failure, expected) in table {
            #expect(FailureClassifier.classify(failure) == expected, "\(failure)")
        }
    }

    @Test("back-off: bounds double to the cap, waits are jittered within them, Retry-After is a floor")
    func backOff() {
        let policy = RetryPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(30))
        #expect(policy.bound(forAttempt: 0) == .milliseconds(100))
        #expect(policy.bound(forAttempt: 3) == .milliseconds(800))
        #expect(policy.bound(forAttempt: 9) == .seconds(30))
        #expect(policy.bound(forAttempt: 1_000) == .seconds(30))
        #expect(policy.bound(forAttempt: -1) == .milliseconds(100))
        let seed = SeededRandom.seed(named: "back-off")
        print("back-off seed \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        var waits: Set<Duration> = []
        for attempt in 0..<200 {
            let wait = policy.delay(forAttempt: attempt % 12, using: &random)
            #expect(wait >= .zero && wait <= policy.bound(forAttempt: attempt % 12), "seed \(seed)")
            waits.insert(wait)
            let floored = policy.delay(forAttempt: attempt % 12, retryAfter: .seconds(45), using: &random)
            #expect(floored == .seconds(45), "seed \(seed)")
        }
        // Full jitter: the waits spread out.
        #expect(waits.count > 150, "seed \(seed)")
    }

    @Test(
        "base or delta: never synced, expired, in the future (this device's clock) or a changed expression is a base sync"
    )
    func baseOrDelta() {
        let day = Duration.seconds(86_400)
        let now: Int64 = 1_790_000_000_000
        func query(_ last: Int64?, _ full: Int64?, _ stored: String? = nil, _ current: String? = nil) -> SyncPlan.Query
        {
            SyncPlan.query(
                lastSync: last,
                lastFullSync: full,
                storedExpressionHash: stored,
                expressionHash: current,
                now: now,
                fullSyncInterval: day
            )
        }
        #expect(query(nil, nil) == .base)
        #expect(query(now - 1_000, now - 5_000) == .delta(lastSync: now - 1_000))
        #expect(query(now - 1_000, now - 86_400_000) == .base)
        #expect(query(now - 1_000, now - 86_399_999) == .delta(lastSync: now - 1_000))
        // The backend's lastSync ahead of this device's clock is only skew: still a delta.
        #expect(query(now + 60_000, now - 5_000) == .delta(lastSync: now + 60_000))
        #expect(query(now - 1_000, now + 1) == .base)
        #expect(query(now - 1_000, nil) == .base)
        #expect(query(now - 1_000, now - 5_000, "a", "b") == .base)
        #expect(query(now - 1_000, now - 5_000, nil, "b") == .base)
        #expect(query(now - 1_000, now - 5_000, "a", nil) == .base)
        #expect(query(now - 1_000, now - 5_000, "a", "a") == .delta(lastSync: now - 1_000))
    }

    @Test("next sync: a failed one after the retry delay, else when the base sync expires or the delta interval ends")
    func nextSync() {
        let (hour, day) = (Duration.seconds(3_600), Duration.seconds(86_400))
        let at: Int64 = 1_790_000_000_000
        func due(failed: Bool = false, full: Int64?, delta: Duration? = nil, interval: Duration = day) -> Int64 {
            SyncPlan.nextSync(
                attemptedAt: at,
                failed: failed,
                lastFullSync: full,
                fullSyncInterval: interval,
                deltaSyncInterval: delta,
                retryDelay: .seconds(300)
            )
        }
        #expect(due(failed: true, full: at) == at + 300_000)
        #expect(due(full: at) == at + 86_400_000)
        #expect(due(full: at - 3_600_000) == at + 82_800_000)
        // A capped sync has no base sync: the interval counts from this attempt.
        #expect(due(full: nil) == at + 86_400_000)
        // A base sync stamped in the future (the clock went back) counts from the attempt.
        #expect(due(full: at + 5_000) == at + 86_400_000)
        #expect(due(full: at, delta: hour) == at + 3_600_000)
        #expect(due(full: at - 86_000_000, delta: hour) == at + 400_000)
        // Durations too long for milliseconds mean never, not a crash.
        #expect(due(full: at, interval: .seconds(Int64.max)) == .max)
    }

    @Test("the outbox's memory of settled versions: exact versions only, the oldest forgotten first")
    func recentlySettled() {
        let recent = RecentlySettled(capacity: 2)
        recent.add(model: "Post", id: "a", version: 1)
        recent.add(model: "Post", id: "b", version: 3)
        #expect(recent.contains(model: "Post", id: "a", version: 1))
        #expect(
            !recent.contains(model: "Post", id: "a", version: 2)
                && !recent.contains(model: "Comment", id: "a", version: 1)
        )
        recent.add(model: "Post", id: "c", version: 1)
        #expect(!recent.contains(model: "Post", id: "a", version: 1))
        #expect(
            recent.contains(model: "Post", id: "b", version: 3) && recent.contains(model: "Post", id: "c", version: 1)
        )
        recent.add(model: "Post", id: "c", version: 1)
        recent.add(model: "Post", id: "d", version: 1)
        #expect(
            !recent.contains(model: "Post", id: "b", version: 3) && recent.contains(model: "Post", id: "c", version: 1)
        )
    }

    @Test("reachability reports the first outcome and every change, never a repeat; probes back off while down")
    func reachability() {
        var status = Reachability(probes: RetryPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1)))
        #expect(!status.isProbing)
        let reported = [false, false, true, true, false, true].map { status.record(reached: $0) }
        #expect(reported == [false, nil, true, nil, false, true])
        #expect(status.isActive == true && !status.isProbing)
        _ = status.record(reached: false)
        #expect(status.isProbing)
        // Each failed probe doubles the bound of the next wait, up to the cap.
        var random = SeededRandom(seed: 7)
        var bounds: [Duration] = []
        for _ in 0..<6 {
            let delay = status.probeDelay(using: &random)
            bounds.append(status.probes.bound(forAttempt: status.failedProbes))
            #expect(delay >= .zero && delay <= bounds.last!)
            status.probeFailed()
        }
        #expect(bounds == [100, 200, 400, 800, 1_000, 1_000].map { Duration.milliseconds($0) })
        // Reaching the backend ends probing and starts the next outage's back-off afresh.
        #expect(status.record(reached: true) == true)
        #expect(!status.isProbing && status.failedProbes == 0)
    }

    @Test("the engine's state machine: every input in every phase, and the effects it asks for")
    func syncMachine() {
        typealias M = SyncMachine
        /// The effects of `inputs` applied in order from a stopped machine, and where it ends.
        func run(_ inputs: [M.Input]) -> (effects: [[M.Effect]], machine: M) {
            var machine = M()
            return (inputs.map { machine.handle($0) }, machine)
        }
        // An online start with subscriptions: subscribe, then the first round once they are up.
        var (effects, machine) = run([.start(subscribes: true), .subscribed, .roundFinished])
        #expect(effects == [[.subscribe], [.syncRound], [.announceReady, .startOutbox]])
        #expect(machine.phase == .ready && !machine.isRoundRunning)
        // Subscriptions that fail first: the first round goes without them; their connection later
        // brings a round of its own.
        (effects, machine) = run([.start(subscribes: true), .unsubscribed, .roundFinished, .subscribed, .roundFinished])
        #expect(effects == [[.subscribe], [.syncRound], [.announceReady, .startOutbox], [.syncRound], []])
        // Without subscriptions: the first round at once.
        (effects, machine) = run([.start(subscribes: false), .roundFinished])
        #expect(effects == [[.syncRound], [.announceReady, .startOutbox]])
        // Rounds asked for while one runs: one more after it, however many asked.
        (effects, machine) = run([
            .start(subscribes: true), .subscribed, .roundDue, .unsubscribed, .subscribed, .roundFinished,
            .roundFinished,
        ])
        #expect(effects == [[.subscribe], [.syncRound], [], [], [], [.announceReady, .startOutbox, .syncRound], []])
        // Due rounds wait for the first one while subscribing.
        (effects, _) = run([.start(subscribes: true), .roundDue, .subscribed])
        #expect(effects == [[.subscribe], [], [.syncRound]])
        // The network regained: every back-off under way ends (once: a repeated report is not a
        // change); without subscriptions a round runs too, since no reconnection brings one —
        // after the running one, if any.
        (effects, _) = run([
            .start(subscribes: true), .subscribed, .roundFinished, .network(isActive: false), .unsubscribed,
            .network(isActive: true), .network(isActive: true),
        ])
        #expect(effects.suffix(3) == [[], [.retryNow], []])
        (effects, _) = run([
            .start(subscribes: false), .network(isActive: false), .roundFinished, .network(isActive: true),
        ])
        #expect(effects == [[.syncRound], [], [.announceReady, .startOutbox], [.retryNow, .syncRound]])
        (effects, _) = run([
            .start(subscribes: false), .network(isActive: false), .network(isActive: true), .roundFinished,
        ])
        #expect(effects == [[.syncRound], [], [.retryNow], [.announceReady, .startOutbox, .syncRound]])
        // The first report of a working network is not a regained one.
        (effects, _) = run([.start(subscribes: false), .network(isActive: true)])
        #expect(effects.last == [])
        // Stopped: inputs do nothing until the next start, which begins afresh; starting twice
        // does nothing.
        (effects, machine) = run([
            .start(subscribes: true), .subscribed, .stop, .roundFinished, .subscribed, .roundDue,
            .network(isActive: false), .network(isActive: true), .start(subscribes: false), .start(subscribes: true),
        ])
        #expect(effects == [[.subscribe], [.syncRound], [], [], [], [], [], [], [.syncRound], []])
        #expect(machine.phase == .syncing && !machine.subscribes && machine.isNetworkActive == nil)
    }

    @Test("sync waves: models share a wave unless one belongs to another, which then waits for it")
    func waves() {
        let waves = SyncPlan.waves(Self.relatedSchemas).map { $0.map(\.name) }
        #expect(waves == [["Blog", "Tag", "B"], ["Post", "A"], ["Comment"]])
    }

    static func schema(_ name: String, belongsTo parents: [String]) -> ModelSchema {
        ModelSchema(
            name: name,
            fields: [.required("id", .id)] + parents.map { .optional("\($0.lowercased())ID", .id) },
            relations: parents.map { parent in
                ModelRelation(
                    name: parent.lowercased(),
                    kind: .belongsTo,
                    relatedModel: parent,
                    localFields: ["\(parent.lowercased())ID"],
                    relatedFields: ["id"]
                )
            }
        )
    }

    static let relatedSchemas = [
        schema("Comment", belongsTo: ["Post"]), schema("Post", belongsTo: ["Blog"]), schema("Blog", belongsTo: []),
        schema("Tag", belongsTo: []), schema("A", belongsTo: ["B"]), schema("B", belongsTo: ["A"]),
    ]

    @Test("sync order: parents before the models that belong to them, cycles kept in the given order")
    func order() {
        #expect(SyncPlan.order(Self.relatedSchemas).map(\.name) == ["Blog", "Post", "Comment", "Tag", "B", "A"])
    }

    @Test(
        "the sender takes each record's oldest entry, skips records on the wire and entries backing off, up to its slots"
    )
    func choose() {
        func entry(_ sequence: Int64, _ id: String) -> OutboxEntry {
            OutboxEntry(
                sequence: sequence,
                modelName: "Post",
                modelID: id,
                kind: .update,
                payload: "{}",
                condition: nil,
                enqueuedAt: 0,
                inFlight: false
            )
        }
        let entries = [entry(1, "a"), entry(2, "a"), entry(3, "b"), entry(4, "c"), entry(5, "d"), entry(6, "e")]
        #expect(Outbox.choose(from: entries, sending: [], notBefore: [:], now: 0, slots: 10) == [1, 3, 4, 5, 6])
        #expect(Outbox.choose(from: entries, sending: ["Post/a"], notBefore: [:], now: 0, slots: 10) == [3, 4, 5, 6])
        #expect(
            Outbox.choose(from: entries, sending: [], notBefore: [1: 50, 4: 10], now: 20, slots: 10) == [3, 4, 5, 6]
        )
        #expect(Outbox.choose(from: entries, sending: [], notBefore: [:], now: 0, slots: 2) == [1, 3])
        #expect(Outbox.choose(from: entries, sending: [], notBefore: [:], now: 0, slots: 0).isEmpty)
    }

    @Test("a synced model names its operations as its generated schema's @model arguments say")
    func operationNames() {
        let folder = SyncedModel(Folder.self)
        #expect(folder.documents.names.get == "folder" && folder.documents.names.list == nil)
        #expect(folder.documents.names.onDelete == "folderRemoved" && folder.documents.names.create == "createFolder")
        #expect(folder.documents.getQuery?.contains("folder(id: $id)") == true)
    }
}
