public import DataStore
import NIOCore
import NIOPosix

/// A TCP proxy on loopback that puts network faults between a synced store and its backend.
///
/// Point the store at the proxy's ``endpoint(path:)`` instead of the server, then break the
/// network in the ways real ones break, and heal it:
///
/// ```swift
/// try await withFaultProxy(to: server.port) { proxy in
///     let synced = try await SyncedStore(..., endpoint: proxy.endpoint(path: "/graphql"), ...)
///     proxy.blackHole()             // connections stay open, bytes vanish
///     proxy.cut(after: 100, .toClient)  // the next 100 bytes to the client, then a reset
///     proxy.refuseConnections()     // new connections are closed at once
///     proxy.drop()                  // every open connection is reset now
///     proxy.heal()                  // a clean network again
/// }
/// ```
///
/// Faults apply to open connections and new ones alike, from the moment they are set. The proxy
/// forwards bytes as they come, one chunk at a time per direction; when either direction ends,
/// it closes both (half-closed connections are not kept).
public final class FaultProxy: Sendable {
    /// Which way bytes travel.
    public enum Direction: Hashable, Sendable {
        /// From the client to the server.
        case toServer
        /// From the server to the client.
        case toClient
    }

    /// The loopback port the proxy listens on.
    public let port: Int
    private let target: (host: String, port: Int)
    private let clock: any WallClock
    private let group: any EventLoopGroup
    private let state = Locked(State())

    private struct State {
        var refusing = false
        var blackHoled = false
        var latency: Duration = .zero
        /// The cut in force; `connections` are the only ones it applies to, when not all.
        var cut: (direction: Direction, bytes: Int, generation: Int, connections: Set<Int>?)?
        var generation = 0
        var connections: [Int: [any Channel]] = [:]
        var nextConnection = 0
        var accepted = 0
        var forwarded: [Direction: Int] = [:]
    }

    init(port: Int, target: (host: String, port: Int), clock: any WallClock, group: any EventLoopGroup) {
        self.port = port
        self.target = target
        self.clock = clock
        self.group = group
    }

    /// The URL of `path` through the proxy (`http://127.0.0.1:<port><path>`).
    public func endpoint(path: String = "/graphql", scheme: String = "http") -> String {
        "\(scheme)://127.0.0.1:\(port)\(path)"
    }

    // MARK: Faults

    /// Delays every chunk by `latency` in both directions (on the proxy's clock).
    public func addLatency(_ latency: Duration) {
        state.withLock { $0.latency = max(latency, .zero) }
    }

    /// Keeps connections open but lets no byte through, either way: requests go unanswered and
    /// a keep-alive never arrives, as behind a dead router.
    public func blackHole() {
        state.withLock { $0.blackHoled = true }
    }

    /// Resets every connection that is open after `bytes` more bytes travel `direction` on it
    /// (the ones before pass); new connections are cut the same way until ``heal()``, unless
    /// `newConnections` is false (then only the connections open now are cut, once).
    public func cut(after bytes: Int, _ direction: Direction, newConnections: Bool = true) {
        state.withLock { state in
            state.generation += 1
            let open = newConnections ? nil : Set(state.connections.keys)
            state.cut = (direction, max(bytes, 0), state.generation, open)
        }
    }

    /// Closes new connections as soon as they are accepted, until ``heal()``.
    public func refuseConnections() {
        state.withLock { $0.refusing = true }
    }

    /// Resets every open connection now (new ones are accepted as before).
    public func drop() {
        let channels = state.withLock { $0.connections.values.flatMap { $0 } }
        for channel in channels { Self.reset(channel) }
    }

    /// Ends every fault: no latency, no black hole, no cut, new connections accepted. Connections
    /// that were dropped stay closed.
    public func heal() {
        state.withLock { state in
            state.refusing = false
            state.blackHoled = false
            state.latency = .zero
            state.cut = nil
        }
    }

    // MARK: What went through

    /// How many connections the proxy accepted (refused ones included).
    public var acceptedConnections: Int { state.withLock { $0.accepted } }

    /// How many connections are open through the proxy now.
    public var openConnections: Int { state.withLock { $0.connections.count } }

    /// How many bytes the proxy forwarded `direction` (counted as they are handed on).
    public func forwardedBytes(_ direction: Direction) -> Int {
        state.withLock { $0.forwarded[direction, default: 0] }
    }

    // MARK: Running

    /// Accepts connections on `listener` until it closes, each handled in a child task.
    func serve(_ listener: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) async {
        await withDiscardingTaskGroup { group in
            try? await listener.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await self.handle(connection) }
                }
            }
            // The listener closed: so do the connections still open.
            drop()
        }
    }

    private func handle(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let refused = state.withLock { state in
            state.accepted += 1
            return state.refusing
        }
        if refused {
            Self.reset(client.channel)
            // Ends the channel's writer too (a channel's writer must be finished).
            try? await client.executeThenClose { _, _ in }
            return
        }
        let upstream: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            upstream = try await ClientBootstrap(group: group)
                .connect(host: target.host, port: target.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            // The server cannot be reached: so the client learns.
            Self.reset(client.channel)
            try? await client.executeThenClose { _, _ in }
            return
        }
        let id = state.withLock { state in
            state.nextConnection += 1
            state.connections[state.nextConnection] = [client.channel, upstream.channel]
            return state.nextConnection
        }
        defer { _ = state.withLock { $0.connections.removeValue(forKey: id) } }
        try? await client.executeThenClose { fromClient, toClient in
            try await upstream.executeThenClose { fromServer, toServer in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await self.forward(fromClient, to: toServer, .toServer, id) }
                    group.addTask { try await self.forward(fromServer, to: toClient, .toClient, id) }
                    // The first direction to end ends the connection.
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    /// Forwards chunks from `inbound` to `outbound` through the faults in force for each.
    private func forward(
        _ inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        _ direction: Direction,
        _ connection: Int
    ) async throws {
        var counted = (generation: -1, bytes: 0)
        for try await var chunk in inbound {
            let (latency, blackHoled, cut) = state.withLock { ($0.latency, $0.blackHoled, $0.cut) }
            if latency > .zero { try await clock.sleep(for: latency) }
            if blackHoled { continue }
            if let cut, cut.direction == direction, cut.connections?.contains(connection) ?? true {
                if counted.generation != cut.generation { counted = (cut.generation, 0) }
                let room = cut.bytes - counted.bytes
                if chunk.readableBytes >= room {
                    if room > 0, let allowed = chunk.readSlice(length: room) {
                        record(room, direction)
                        try await outbound.write(allowed)
                    }
                    let channels = state.withLock { $0.connections[connection] ?? [] }
                    for channel in channels { Self.reset(channel) }
                    return
                }
                counted.bytes += chunk.readableBytes
            }
            // Counted as it is handed on, so that what arrives has always been counted.
            record(chunk.readableBytes, direction)
            try await outbound.write(chunk)
        }
    }

    private func record(_ bytes: Int, _ direction: Direction) {
        state.withLock { $0.forwarded[direction, default: 0] += bytes }
    }

    /// Closes `channel` with a reset (no lingering), as a broken network does.
    private static func reset(_ channel: any Channel) {
        guard let socket = channel as? any SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Runs `body` with a ``FaultProxy`` on a free loopback port that forwards to `host:port`, and
/// closes it (and every connection through it) when `body` returns.
///
/// - Parameters:
///   - host: The server's host (default loopback).
///   - port: The server's port.
///   - clock: The clock latency waits on (a `ManualClock` makes it instant and deterministic).
public func withFaultProxy<Result: Sendable>(
    to host: String = "127.0.0.1",
    port: Int,
    clock: any WallClock = SystemClock(),
    _ body: @Sendable (FaultProxy) async throws -> Result
) async throws -> Result {
    let group = MultiThreadedEventLoopGroup.singleton
    let listener = try await ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(host: "127.0.0.1", port: 0) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    guard let listening = listener.channel.localAddress?.port else {
        try? await listener.channel.close()
        throw FaultProxyError.noPort
    }
    let proxy = FaultProxy(port: listening, target: (host, port), clock: clock, group: group)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { await proxy.serve(listener) }
        do {
            let result = try await body(proxy)
            try? await listener.channel.close()
            try await tasks.waitForAll()
            return result
        } catch {
            try? await listener.channel.close()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// Why a ``FaultProxy`` could not start.
public enum FaultProxyError: Error, Sendable {
    /// The listening socket has no port.
    case noPort
}
