import DataStore
import DataStoreAppSync
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// One real-time WebSocket connection (PROTOCOL §6.3): the handshake's credentials, then
/// `connection_init` → `connection_ack` and `ka`, `start` → `start_ack` and `data`, `stop` →
/// `complete`.
///
/// Three tasks serve it: this one reads the client's messages, a writer drains the connection's
/// ``SendQueue`` (which the hub fills with events), and timers send `ka` and enforce the
/// `connection_init` deadline. Nothing a client sends ends the server's work for other clients;
/// malformed or unexpected messages are answered with `error` and the connection stays open.
struct RealtimeConnection: Sendable {
    let hub: RealtimeHub
    let options: RealtimeOptions
    /// The clock of the connection's timers.
    let clock: any WallClock
    /// The caller the upgrade request's credentials establish, or why they were refused.
    let handshake: Result<Caller, AuthenticationFailure>
    /// Checks the credentials a `start` message carries.
    let authenticator: AuthenticatorSource
    let channel: any Channel
    let logger: Logger

    /// Serves the connection until the client leaves or breaks the WebSocket protocol.
    ///
    /// - Throws: what reading the client's frames threw (a frame that is not UTF-8 text, a
    ///   message over the size limit, a protocol violation): the WebSocket layer closes the
    ///   connection with the close code RFC 6455 gives it (1007, 1009, 1002).
    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        var violation: (any Error)?
        let connection = await hub.connect()
        let queue = SendQueue(limit: options.outboundBufferSize)
        let initialized = InitFlag()
        // The client has `initTimeout` to send connection_init; cancelled when it does.
        let deadline = Task { [clock, options] in
            guard (try? await clock.sleep(for: options.initTimeout)) != nil, !initialized.isSet else { return }
            queue.send(
                RealtimeServerMessage.connectionError([
                    AppSyncError(
                        .connectionTimeout,
                        "No connection_init arrived within \(options.initTimeout); the connection is closed.",
                        errorCode: 408
                    )
                ]).text
            )
            queue.finish()
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await write(queue, to: outbound) }
            group.addTask { [channel, clock, options] in
                // Once the server is ending the connection, the client has a grace period to take
                // the last messages and answer the close; then the socket is closed regardless
                // (the writer may be stuck behind a client that reads nothing).
                for await _ in queue.ending.wakeUps {
                    guard (try? await clock.sleep(for: options.closeGracePeriod)) != nil else { return }
                    channel.close(promise: nil)
                    return
                }
            }
            do {
                var messages = inbound.messages(maxSize: options.maximumMessageSize).makeAsyncIterator()
                while let message = try await messages.next() {
                    guard case .text(let text) = message else {
                        queue.send(
                            Self.error(
                                nil,
                                .badRequest,
                                "Messages are JSON text frames; binary frames are not read."
                            )
                        )
                        continue
                    }
                    if await handle(text, connection: connection, queue: queue, initialized: initialized) {
                        // Acknowledged: the deadline is void, keep-alives start, then the ack goes out.
                        deadline.cancel()
                        group.addTask { await keepAlive(queue) }
                        if case .success(let caller) = handshake, let expires = caller.expiresAt {
                            group.addTask { await closeOnExpiry(queue, at: expires) }
                        }
                        queue.send(
                            RealtimeServerMessage.connectionAck(connectionTimeoutMs: options.connectionTimeoutMs).text
                        )
                        queue.send(RealtimeServerMessage.keepAlive.text)
                    }
                }
            } catch {
                logger.debug("Real-time connection \(connection) ended: \(error)")
                violation = error
            }
            // The client left (or broke the protocol at the WebSocket level): nothing more to write.
            deadline.cancel()
            queue.close()
            group.cancelAll()
        }
        await hub.disconnect(connection)
        if let violation { throw violation }
    }

    /// Answers one text message. Returns true when the connection was just initialized (the
    /// caller starts the keep-alive timer and sends the ack). A connection the server is closing reads on until the client
    /// answers the close (or the grace period ends), but what it queues is not sent.
    private func handle(
        _ text: String,
        connection: Int,
        queue: SendQueue,
        initialized: InitFlag
    ) async -> Bool {
        let message: RealtimeClientMessage
        do {
            message = try RealtimeClientMessage(text: text)
        } catch {
            queue.send(Self.error(error.id, .badRequest, error.message))
            return false
        }
        switch message {
        case .connectionInit:
            if case .failure(let failure) = handshake {
                queue.send(
                    RealtimeServerMessage.connectionError([
                        AppSyncError(
                            .unauthorized,
                            failure.message + " Send the credentials (x-api-key or Authorization) in the header "
                                + "query parameter, a header- subprotocol or the request's headers.",
                            errorCode: 401
                        )
                    ]).text
                )
                queue.finish()
                return false
            }
            guard !initialized.isSet else {
                // A repeated init is answered again; clients that reconnect logically may send it twice.
                queue.send(RealtimeServerMessage.connectionAck(connectionTimeoutMs: options.connectionTimeoutMs).text)
                return false
            }
            initialized.set()
            return true

        case .start(let id, let request, let authorization):
            guard initialized.isSet else {
                queue.send(
                    Self.error(
                        id,
                        .unsupportedOperation,
                        "Send connection_init and wait for connection_ack before starting a subscription."
                    )
                )
                return false
            }
            // A start may carry its own credentials (another provider than the connection's, or a
            // fresher token); without any it runs as the connection's caller.
            let caller: Caller
            switch authorization == nil
                ? handshake
                : await authenticator.caller(
                    apiKey: RealtimeHandshake.apiKey(authorization),
                    authorization: RealtimeHandshake.token(authorization)
                )
            {
            case .success(let known):
                caller = known
            case .failure(let failure):
                queue.send(
                    Self.error(id, .unauthorized, "The start message's authorization is not valid: \(failure.message)")
                )
                return false
            }
            let subscriber = RealtimeHub.Subscriber(connection: connection, id: id)
            switch await hub.admission(of: subscriber, limit: options.maximumSubscriptionsPerConnection) {
            case .admitted:
                break
            case .duplicate:
                queue.send(
                    Self.error(id, .duplicatedOperation, "A subscription with id \(id) is already running.")
                )
                return false
            case .full:
                queue.send(
                    Self.error(
                        id,
                        .maxSubscriptionsReached,
                        "This connection holds \(options.maximumSubscriptionsPerConnection) subscriptions, the "
                            + "most it may; stop one or open another connection."
                    )
                )
                return false
            }
            let checked: SubscriptionRequest
            do {
                checked = try await hub.api.subscription(request, as: caller)
            } catch {
                queue.send(RealtimeServerMessage.error(id: id, errors: error.errors).text)
                return false
            }
            // Registered before start_ack: every write committed after the ack reaches the client.
            await hub.subscribe(subscriber, checked, queue: queue)
            queue.send(RealtimeServerMessage.startAck(id: id).text)
            return false

        case .stop(let id):
            await hub.unsubscribe(RealtimeHub.Subscriber(connection: connection, id: id))
            queue.send(RealtimeServerMessage.complete(id: id).text)
            return false

        case .unknown(let type, let id):
            queue.send(
                Self.error(
                    id,
                    .unsupportedOperation,
                    "\(type) is not a message type of this protocol (connection_init, start, stop)."
                )
            )
            return false
        }
    }

    /// Ends the connection when the token it was opened with expires (unless cancelled first):
    /// an `UnauthorizedException` error, then the close. The client reconnects with a fresh token.
    private func closeOnExpiry(_ queue: SendQueue, at expires: Int64) async {
        let remaining = expires - clock.millisecondsSince1970
        if remaining > 0 {
            guard (try? await clock.sleep(for: .milliseconds(remaining))) != nil else { return }
        }
        queue.send(
            Self.error(
                nil,
                .unauthorized,
                "The token this connection was opened with has expired; connect again with a fresh one."
            )
        )
        queue.finish()
    }

    /// Sends `ka` every ``RealtimeOptions/keepAliveInterval`` until cancelled.
    private func keepAlive(_ queue: SendQueue) async {
        let frame = RealtimeServerMessage.keepAlive.text
        while (try? await clock.sleep(for: options.keepAliveInterval)) != nil {
            guard queue.send(frame) else { return }
        }
    }

    /// Writes the queue's frames as they come; when the queue overflows or finishes, says why
    /// and sends the WebSocket close.
    private func write(_ queue: SendQueue, to outbound: WebSocketOutboundWriter) async {
        var ending: (frames: [String], code: WebSocketErrorCode, reason: String)?
        drain: for await _ in queue.changed.wakeUps {
            while true {
                switch queue.next() {
                case .frame(let frame):
                    do {
                        try await outbound.write(.text(frame))
                    } catch {
                        return
                    }
                case .idle:
                    continue drain
                case .finished:
                    ending = ([], .normalClosure, "")
                    break drain
                case .overflowed:
                    logger.notice("Closing real-time connection: the client reads too slowly")
                    ending = (
                        [
                            Self.error(
                                nil,
                                .limitExceeded,
                                "More than \(options.outboundBufferSize) bytes of messages waited for this client; "
                                    + "it reads too slowly and is disconnected. Reconnect and sync to catch up."
                            )
                        ],
                        .policyViolation,
                        "client too slow"
                    )
                    break drain
                }
            }
        }
        guard let ending else { return }
        for frame in ending.frames {
            guard (try? await outbound.write(.text(frame))) != nil else { return }
        }
        try? await outbound.close(ending.code, reason: ending.reason.isEmpty ? nil : ending.reason)
    }

    private static func error(_ id: String?, _ errorType: AppSyncErrorType, _ message: String) -> String {
        RealtimeServerMessage.error(id: id, errorType, message).text
    }
}

/// Whether `connection_init` arrived; read by the init timer.
private final class InitFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

extension RealtimeOptions {
    var connectionTimeoutMs: Int { Int(connectionTimeout.milliseconds) }
}
