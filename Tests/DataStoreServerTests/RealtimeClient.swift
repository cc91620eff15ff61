import DataStore
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOWebSocket
import WSCore

/// A gate tasks pass only while it is open: a test client's reading (so a test can play a
/// client that stops reading), or one task waiting for another.
final class Gate: Sendable {
    private let state: Locked<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>

    init(open: Bool) { state = Locked((open, [])) }

    func close() { state.withLock { $0.open = false } }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func pass() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }
}

/// A real-time client over a real WebSocket, for tests: what it receives is read in order with
/// ``next()``; ``Gate`` stops and resumes its reading from the socket.
final class RealtimeClient {
    private var inbox: AsyncStream<String>.AsyncIterator
    private let outgoing: AsyncStream<String>.Continuation
    private var closes: AsyncStream<WebSocketCloseFrame?>.AsyncIterator
    let gate: Gate

    fileprivate init(
        inbox: AsyncStream<String>,
        outgoing: AsyncStream<String>.Continuation,
        closes: AsyncStream<WebSocketCloseFrame?>,
        gate: Gate
    ) {
        self.inbox = inbox.makeAsyncIterator()
        self.outgoing = outgoing
        self.closes = closes.makeAsyncIterator()
        self.gate = gate
    }

    func send(_ text: String) { outgoing.yield(text) }

    func send(_ message: FieldValue) { send(message.jsonText) }

    /// The next message's text; nil once the connection has ended.
    func nextText() async -> String? {
        await inbox.next()
    }

    /// The next message; nil once the connection has ended.
    func next() async throws -> FieldValue? {
        guard let text = await inbox.next() else { return nil }
        return try FieldValue(jsonText: text)
    }

    /// The next message that is not a `ka`.
    func nextEvent() async throws -> FieldValue? {
        while let message = try await next() {
            if message["type"] != "ka" { return message }
        }
        return nil
    }

    /// `connection_init`, expecting `connection_ack`.
    func initialize() async throws -> FieldValue? {
        send(["type": "connection_init"])
        return try await nextEvent()
    }

    /// Starts subscription `id`; returns the server's answer (`start_ack` or `error`).
    func start(_ id: String, _ query: String, variables: FieldValue = [:]) async throws -> FieldValue? {
        let data = FieldValue.object(["query": .string(query), "variables": variables]).jsonText
        send(["id": .string(id), "type": "start", "payload": ["data": .string(data), "extensions": [:]]])
        return try await nextEvent()
    }

    /// Waits for the connection to end; returns the server's close frame, if it sent one.
    func closed() async -> WebSocketCloseFrame? {
        while let message = await inbox.next() { _ = message }
        return await closes.next() ?? nil
    }
}

/// Errors of ``withRealtimeClient(_:headers:timeout:_:)``.
struct RealtimeClientTimeout: Error {}

/// Connects to `url` with `headers`, runs `body` with the client, then disconnects. If `body`
/// takes longer than `timeout`, the client's inbox and close signal end, so a test waiting for a
/// message or a close that never comes fails instead of hanging.
func withRealtimeClient<Result>(
    _ url: String,
    headers: HTTPFields = [.secWebSocketProtocol: "graphql-ws"],
    timeout: Duration = .seconds(120),
    _ body: (RealtimeClient) async throws -> Result
) async throws -> Result {
    // Test streams: a test sends and receives a bounded handful of messages, and the gate, not
    // the buffer, is what a test uses to stop reading.
    let (inbox, inboxContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
    let (outgoing, outgoingContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
    let (closes, closeContinuation) = AsyncStream.makeStream(
        of: WebSocketCloseFrame?.self,
        bufferingPolicy: .bufferingNewest(1)
    )
    let gate = Gate(open: true)
    var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
    configuration.additionalHeaders = headers
    configuration.autoPing = .disabled
    let clientConfiguration = configuration
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer {
                inboxContinuation.finish()
                closeContinuation.finish()
            }
            let frame = try await WebSocketClient.connect(
                url: url,
                configuration: clientConfiguration,
                logger: Logger(label: "test-realtime-client")
            ) { inbound, outbound, _ in
                await withTaskGroup(of: Void.self) { tasks in
                    tasks.addTask {
                        for await text in outgoing { try? await outbound.write(.text(text)) }
                    }
                    var messages = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
                    while true {
                        await gate.pass()
                        guard case .text(let text)? = try? await messages.next() else { break }
                        inboxContinuation.yield(text)
                    }
                    inboxContinuation.finish()
                    outgoingContinuation.finish()
                    tasks.cancelAll()
                }
            }
            closeContinuation.yield(frame)
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            // A test waiting for a message or for the close then stops waiting.
            inboxContinuation.finish()
            closeContinuation.finish()
            throw RealtimeClientTimeout()
        }
        let client = RealtimeClient(
            inbox: inbox,
            outgoing: outgoingContinuation,
            closes: closes,
            gate: gate
        )
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await body(client))
        } catch {
            outcome = .failure(error)
        }
        outgoingContinuation.finish()
        gate.open()
        group.cancelAll()
        while let _ = try? await group.next() {}
        return try outcome.get()
    }
}
