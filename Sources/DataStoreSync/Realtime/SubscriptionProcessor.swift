import DataStore
import DataStoreAppSync
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOWebSocket

/// One real-time WebSocket to the backend carrying every synced model's `onCreate`, `onUpdate`
/// and `onDelete` (PROTOCOL §6): the handshake in the header form, `connection_init`, a `start`
/// per subscription the model offers, and then the changes as they happen.
///
/// ``run(_:)`` lasts one connection: it returns why the connection ended (closed, refused, a
/// keep-alive that did not come within `connectionTimeoutMs`), and the engine decides when to
/// connect again. Everything it learns goes to the handler it is given, in order.
actor SubscriptionProcessor {
    /// What a connection tells the engine.
    enum Notice: Sendable {
        /// Every subscription was acknowledged or refused; `refused` names the refused ones'
        /// models, with the backend's reason. Sent once per connection.
        case established(refused: [String: String])
        /// A change of a synced model arrived.
        case changed(modelName: String, item: RemoteItem)
        /// A change arrived that could not be read (it is not applied; the next sync brings it).
        case unreadable(modelName: String, reason: String)
    }

    /// Why a connection ended.
    enum Ending: Hashable, Sendable {
        /// The socket could not be opened, or closed; `reason` says how.
        case closed(String)
        /// The backend refused the connection (`connection_error`: credentials).
        case refused(String)
        /// Nothing arrived within the keep-alive timeout: the socket is taken for dead.
        case keepAliveMissed
        /// The run was cancelled.
        case cancelled
    }

    private let endpoint: URL
    private let authorization: SyncAuthorization
    private let models: [SyncedModel]
    private let filters: [String: FieldValue]
    private let clock: any WallClock
    /// How long to wait for `connection_ack` and the start acknowledgements.
    private let ackTimeout: Duration
    /// The claim owner rules read when they name none.
    private let identityClaim: String

    init(
        endpoint: URL,
        authorization: SyncAuthorization,
        models: [SyncedModel],
        filters: [String: FieldValue] = [:],
        clock: any WallClock,
        ackTimeout: Duration = .seconds(15),
        identityClaim: String = "sub::username"
    ) {
        self.identityClaim = identityClaim
        self.endpoint = endpoint
        self.authorization = authorization
        self.models = models
        self.filters = filters
        self.clock = clock
        self.ackTimeout = ackTimeout
    }

    /// The subscription id of a model's kind of change: the model and the kind.
    static func subscriptionID(_ model: String, _ kind: MutationKind) -> String {
        "\(model):\(kind.rawValue)"
    }

    /// Connects, subscribes, and hands what arrives to `notify` until the connection ends or the
    /// task is cancelled; returns why it ended.
    func run(_ notify: @escaping @Sendable (Notice) async -> Void) async -> Ending {
        let credentials: (name: String, value: String)
        do {
            credentials = try await authorization.header()
        } catch {
            return .refused("\(error)")
        }
        var auth = ["host": Self.hostHeader(endpoint)]
        auth[credentials.name.lowercased()] = credentials.value
        let starts = await startSettings(connection: credentials)
        let upgrade = RealtimeHandshake.upgrade(authorization: auth, form: .headers)
        var headers = HTTPFields()
        headers[.secWebSocketProtocol] = upgrade.subprotocols.joined(separator: ", ")
        for (name, value) in upgrade.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 24)
        configuration.additionalHeaders = headers
        configuration.autoPing = .disabled
        let connection = Connection(
            models: models,
            filters: filters,
            authorization: .object(auth.mapValues { .string($0) }),
            starts: starts,
            clock: clock,
            ackTimeout: ackTimeout,
            notify: notify
        )
        do {
            let frame = try await WebSocketClient.connect(
                url: endpoint.absoluteString,
                configuration: configuration,
                logger: Logger(label: "swift-datastore.subscriptions")
            ) { inbound, outbound, _ in
                await connection.serve(inbound, outbound)
            }
            if Task.isCancelled { return .cancelled }
            return connection.ending ?? .closed(frame.map { "closed by the backend (\($0.closeCode))" } ?? "closed")
        } catch {
            if Task.isCancelled { return .cancelled }
            return connection.ending ?? .closed("\(error)")
        }
    }

    /// Each model's ways to subscribe, in the order its rules call for: the credentials of its
    /// starts (nil: the connection's) and its owner argument. A mode whose credentials cannot be
    /// had (no user signed in) is skipped; none left leaves the connection's.
    private func startSettings(connection: (name: String, value: String)) async -> [String: [Connection.Attempt]] {
        var headers: [ModelAuthRule.Provider: (name: String, value: String)] = [authorization.defaultMode: connection]
        var settings: [String: [Connection.Attempt]] = [:]
        for model in models {
            let rules = model.schema.authRules
            var attempts: [Connection.Attempt] = []
            for mode in authorization.modes(for: rules, .listen) {
                if headers[mode] == nil { headers[mode] = try? await authorization.header(mode) }
                guard let header = headers[mode] else { continue }
                let owner = SubscriptionOwner.argument(
                    rules,
                    mode: mode,
                    claims: header.name == "Authorization" ? TokenClaims.of(header.value) : nil,
                    defaultClaim: identityClaim
                )
                let own: FieldValue? =
                    mode == authorization.defaultMode
                    ? nil
                    : .object([
                        "host": .string(Self.hostHeader(endpoint)), header.name.lowercased(): .string(header.value),
                    ])
                attempts.append(Connection.Attempt(authorization: own, owner: owner))
            }
            settings[model.schema.name] = attempts
        }
        return settings
    }

    /// The `host` the authorization object names: the endpoint's host and port.
    static func hostHeader(_ url: URL) -> String {
        guard let host = url.host else { return "" }
        return url.port.map { "\(host):\($0)" } ?? host
    }
}

/// One WebSocket's conversation: the handshake's messages, the acknowledgements, the changes,
/// and the keep-alive watchdog.
private final class Connection: Sendable {
    let models: [SyncedModel]
    let filters: [String: FieldValue]
    let authorization: FieldValue
    /// Per model, the ways to subscribe, tried in turn while the backend refuses them.
    let starts: [String: [Attempt]]
    let clock: any WallClock
    let ackTimeout: Duration
    let notify: @Sendable (SubscriptionProcessor.Notice) async -> Void
    private let state = Locked(State())

    private struct State {
        /// When the connection is taken for dead unless something arrives, in ms on the clock.
        var deadline: Int64 = .max
        var keepAlive: Int64 = 0
        var pending: Set<String> = []
        var refused: [String: String] = [:]
        /// The attempt each pending start is on (0 when absent).
        var attempts: [String: Int] = [:]
        var established = false
        var ending: SubscriptionProcessor.Ending?
    }

    /// One way a model subscribes: the credentials of its starts (nil: the connection's) and its
    /// owner argument.
    struct Attempt: Sendable {
        let authorization: FieldValue?
        let owner: (field: String, value: String)?
    }

    init(
        models: [SyncedModel],
        filters: [String: FieldValue],
        authorization: FieldValue,
        starts: [String: [Attempt]],
        clock: any WallClock,
        ackTimeout: Duration,
        notify: @escaping @Sendable (SubscriptionProcessor.Notice) async -> Void
    ) {
        self.models = models
        self.filters = filters
        self.authorization = authorization
        self.starts = starts
        self.clock = clock
        self.ackTimeout = ackTimeout
        self.notify = notify
    }

    var ending: SubscriptionProcessor.Ending? { state.withLock { $0.ending } }

    private func end(_ ending: SubscriptionProcessor.Ending) {
        state.withLock { state in
            if state.ending == nil { state.ending = ending }
        }
    }

    func serve(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter) async {
        state.withLock { $0.deadline = clock.millisecondsSince1970 + ackTimeout.milliseconds }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watch() }
            group.addTask {
                do {
                    try await outbound.write(.text(RealtimeClientMessage.connectionInit.text))
                    var messages = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
                    while let message = try await messages.next() {
                        guard case .text(let text) = message else { continue }
                        guard try await self.handle(text, outbound) else { break }
                    }
                    self.end(.closed("the backend closed the connection"))
                } catch {
                    self.end(.closed("\(error)"))
                }
            }
            // Whichever ends first (the socket, or the watchdog) ends the connection.
            await group.next()
            group.cancelAll()
        }
        try? await outbound.close(.goingAway, reason: nil)
    }

    /// Sends the start of subscription `id` (`Model:kind`) the model's way number `attempt`.
    private func start(_ id: String, attempt: Int, _ outbound: WebSocketOutboundWriter) async throws {
        let name = String(id.prefix { $0 != ":" })
        guard let model = models.first(where: { $0.schema.name == name }),
            let kind = MutationKind(rawValue: String(id.drop { $0 != ":" }.dropFirst()))
        else { return }
        let attempts = starts[name] ?? []
        let way = attempts.indices.contains(attempt) ? attempts[attempt] : nil
        guard let request = model.documents.subscriptionRequest(kind, filter: filters[name], owner: way?.owner) else {
            return
        }
        let start = RealtimeClientMessage.start(
            id: id,
            request: request,
            authorization: way?.authorization ?? authorization
        )
        try await outbound.write(.text(start.text))
    }

    /// Sleeps until the deadline; a deadline moved meanwhile is slept to in turn.
    private func watch() async {
        while !Task.isCancelled {
            let deadline = state.withLock { $0.deadline }
            let wait = deadline - clock.millisecondsSince1970
            if wait <= 0 {
                end(.keepAliveMissed)
                return
            }
            do { try await clock.sleep(for: .milliseconds(wait)) } catch { return }
        }
    }

    /// Handles one message; false when the connection must end.
    private func handle(_ text: String, _ outbound: WebSocketOutboundWriter) async throws -> Bool {
        guard let message = try? RealtimeServerMessage(text: text) else { return true }
        let now = clock.millisecondsSince1970
        switch message {
        case .connectionAck(let timeout):
            // A missing or zero timeout would make every moment a missed keep-alive (Amplify
            // Swift's reconnect loop): five minutes then, as Amplify JS assumes.
            let keepAlive = timeout > 0 ? Int64(timeout) : 300_000
            var ids: [String] = []
            for model in models {
                for kind in [MutationKind.created, .updated, .deleted]
                where model.documents.subscription(kind) != nil {
                    ids.append(SubscriptionProcessor.subscriptionID(model.schema.name, kind))
                }
            }
            state.withLock { state in
                state.keepAlive = keepAlive
                state.pending = Set(ids)
                // The acknowledgements are due within the ack timeout; the keep-alive after.
                state.deadline = now + min(keepAlive, ackTimeout.milliseconds)
            }
            for id in ids {
                try await start(id, attempt: 0, outbound)
            }
            await establishIfDone()
        case .connectionError(let errors):
            end(.refused(errors.map(\.message).joined(separator: "; ")))
            return false
        case .keepAlive:
            state.withLock { $0.deadline = now + $0.keepAlive }
        case .startAck(let id):
            state.withLock { state in
                state.pending.remove(id)
                if state.pending.isEmpty { state.deadline = now + state.keepAlive }
            }
            await establishIfDone()
        case .error(let id?, let errors):
            let model = String(id.prefix { $0 != ":" })
            // Refused with these credentials: the model's next way, when it has one.
            let next = state.withLock { state -> Int? in
                guard state.pending.contains(id) else { return nil }
                let tried = state.attempts[id, default: 0] + 1
                guard tried < (starts[model]?.count ?? 0) else { return nil }
                state.attempts[id] = tried
                return tried
            }
            if let next {
                try await start(id, attempt: next, outbound)
                return true
            }
            let wasPending = state.withLock { state in
                let removed = state.pending.remove(id) != nil
                if removed { state.refused[model] = errors.map(\.message).joined(separator: "; ") }
                if state.pending.isEmpty { state.deadline = now + state.keepAlive }
                return removed
            }
            // A running subscription the backend ended (its token expired, an event too large to
            // send): connect again, with fresh credentials, and sync what was missed.
            if !wasPending, models.contains(where: { $0.schema.name == model }) {
                end(.closed("the backend ended subscription \(id): " + errors.map(\.message).joined(separator: "; ")))
                return false
            }
            await establishIfDone()
        case .error(nil, let errors):
            end(.closed("the backend ended the connection: " + errors.map(\.message).joined(separator: "; ")))
            return false
        case .data(let id, let payload):
            state.withLock { state in
                if state.pending.isEmpty { state.deadline = max(state.deadline, now + state.keepAlive) }
            }
            await deliver(id, payload)
        case .complete, .unknown:
            break
        }
        return true
    }

    private func establishIfDone() async {
        let refused: [String: String]? = state.withLock { state in
            guard state.pending.isEmpty, state.keepAlive > 0, !state.established else { return nil }
            state.established = true
            return state.refused
        }
        if let refused { await notify(.established(refused: refused)) }
    }

    private func deliver(_ id: String, _ payload: FieldValue) async {
        let parts = id.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let kind = MutationKind(rawValue: parts[1]),
            let model = models.first(where: { $0.schema.name == parts[0] })
        else { return }
        do {
            let response = try GraphQLResponse(decoding: payload)
            let item = try model.documents.subscriptionEvent(kind, response)
            await notify(.changed(modelName: model.schema.name, item: item))
        } catch {
            await notify(.unreadable(modelName: model.schema.name, reason: "\(error)"))
        }
    }
}
