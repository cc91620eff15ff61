import AsyncHTTPClient
import BlogModels
import DataStore
import DataStoreAppSync
import DataStoreServer
import DataStoreServerTesting
import DataStoreSyncTesting
import DataStoreTesting
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import DataStoreSync

/// The fault-injecting proxy, against an echo server on loopback (exact bytes) and against the
/// real server (a synced store through it).
// Each test takes a second or two alone; beside the convergence simulation, on two cores and under
// ThreadSanitizer, the proxied stores' tests took over a minute.
@Suite("Fault proxy", .timeLimit(.minutes(3)))
struct FaultProxyTests {
    @Test("bytes pass both ways untouched, and are counted")
    func passThrough() async throws {
        try await withEchoServer { echo in
            try await withFaultProxy(port: echo) { proxy in
                let received = try await exchange(proxy.port, send: ["hello ", "world"], expecting: 11)
                #expect(received == "hello world")
                #expect(proxy.forwardedBytes(.toServer) == 11 && proxy.forwardedBytes(.toClient) == 11)
                #expect(proxy.acceptedConnections == 1)
            }
        }
    }

    @Test("a cut lets exactly the given bytes through, then resets the connection")
    func cut() async throws {
        try await withEchoServer { echo in
            try await withFaultProxy(port: echo) { proxy in
                proxy.cut(after: 5, .toClient)
                let received = try await exchange(proxy.port, send: ["hello world"], expecting: 11)
                #expect(received == "hello")
                proxy.cut(after: 3, .toServer)
                let echoed = try await exchange(proxy.port, send: ["abcdef"], expecting: 6)
                #expect("abc".hasPrefix(echoed))
                proxy.heal()
                #expect(try await exchange(proxy.port, send: ["again"], expecting: 5) == "again")
                // A cut of the connections open now only: a new one passes whole.
                proxy.cut(after: 2, .toClient, newConnections: false)
                #expect(try await exchange(proxy.port, send: ["whole"], expecting: 5) == "whole")
            }
        }
    }

    @Test("refused connections close at once; drop resets the open ones; heal accepts again")
    func refuseAndDrop() async throws {
        try await withEchoServer { echo in
            try await withFaultProxy(port: echo) { proxy in
                proxy.refuseConnections()
                // The reset reaches the client while it connects, or at its first read.
                let refused = (try? await exchange(proxy.port, send: ["x"], expecting: 1)) ?? ""
                #expect(refused == "")
                #expect(proxy.acceptedConnections == 1 && proxy.forwardedBytes(.toServer) == 0)
                proxy.heal()
                // An open connection, echoing; then every open connection is reset.
                let channel = try await connect(proxy.port)
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: "ping"))
                    var reader = inbound.makeAsyncIterator()
                    let first = try await reader.next()
                    #expect(first.map { String(buffer: $0) } == "ping")
                    proxy.drop()
                    // The reset ends the stream (or fails it); nothing else arrives.
                    let next = try? await reader.next()
                    #expect(next == nil)
                }
            }
        }
    }

    @Test("latency waits on the proxy's clock, each way")
    func latency() async throws {
        let clock = ManualClock()
        try await withEchoServer { echo in
            try await withFaultProxy(port: echo, clock: clock) { proxy in
                proxy.addLatency(.seconds(2))
                let channel = try await connect(proxy.port)
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: "slow"))
                    await clock.sleepers(atLeast: 1)
                    #expect(proxy.forwardedBytes(.toServer) == 0)
                    clock.advance(by: .seconds(2))
                    // The echo comes back through the same latency.
                    await clock.sleepers(atLeast: 1)
                    #expect(proxy.forwardedBytes(.toServer) == 4 && proxy.forwardedBytes(.toClient) == 0)
                    clock.advance(by: .seconds(2))
                    var reader = inbound.makeAsyncIterator()
                    let echoed = try await reader.next()
                    #expect(echoed.map { String(buffer: $0) } == "slow")
                }
            }
        }
    }

    @Test("a synced store through the proxy: a black hole makes requests fail, healing lets them through")
    func blackHole() async throws {
        var configuration = SyncConfiguration()
        configuration.retryPolicy = RetryPolicy(initialDelay: .milliseconds(1), maximumDelay: .milliseconds(20))
        let settings = configuration
        try await withProxiedBlogServer { server, client, proxy in
            let transport = proxiedTransport(proxy, server, client, timeout: .seconds(1))
            try await withSyncedStore(server, client: client, configuration: settings, transport: transport) {
                synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                proxy.blackHole()
                try await synced.store.save(Post(id: "p1", title: "through", rating: 1, status: .active))
                await next(&events) { $0 == .networkStatus(isActive: false) }
                #expect(try await serverPost(server, "p1") == nil)
                proxy.heal()
                await next(&events) { if case .outboxMutationProcessed = $0 { true } else { false } }
                #expect(try await serverPost(server, "p1")?["title"] == "through")
            }
        }
    }
}

extension FaultProxyTests {
    @Test("connections cut in the middle of a sync page and of a mutation's answer: recovered, nothing lost or doubled")
    func cuts() async throws {
        var configuration = SyncConfiguration()
        configuration.retryPolicy = RetryPolicy(initialDelay: .milliseconds(1), maximumDelay: .milliseconds(20))
        configuration.syncPageSize = 100
        let settings = configuration
        try await withProxiedBlogServer { server, client, proxy in
            for index in 0..<250 {
                _ = try await server.dataSource.create(
                    "Post",
                    input: ["id": .string("s\(index)"), "title": "t", "rating": .int(index % 5), "status": "ACTIVE"]
                )
            }
            let transport = proxiedTransport(proxy, server, client, timeout: .seconds(5))
            try await withSyncedStore(server, client: client, configuration: settings, transport: transport) {
                synced in
                var events = synced.events.makeAsyncIterator()
                // Every answer is cut a few kilobytes in: inside the first sync page.
                proxy.cut(after: 4_000, .toClient)
                await synced.start()
                await next(&events) { $0 == .networkStatus(isActive: false) }
                proxy.heal()
                let synced0 = await next(&events) {
                    if case .modelSynced(let model) = $0 { model.modelName == "Post" } else { false }
                }
                if case .modelSynced(let model)? = synced0 { #expect(model.created == 250) }
                await next(&events) { $0 == .ready }
                #expect(try await synced.store.query(Post.self).count == 250)

                // A mutation reaches the server and its answer is cut: sent again, recognised.
                proxy.cut(after: 0, .toClient)
                try await synced.store.save(Post(id: "m1", title: "once", rating: 1, status: .active))
                await next(&events) { $0 == .networkStatus(isActive: false) }
                proxy.heal()
                await next(&events) { if case .outboxMutationProcessed = $0 { true } else { false } }
                #expect(try await serverPost(server, "m1")?["_version"] == 1)
                #expect(try await synced.deadLetters().isEmpty)
            }
        }
    }
}

// MARK: A raw TCP client and an echo server

/// Connects to `port` on loopback.
func connect(_ port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
}

/// Sends `chunks` on a new connection to `port` and reads until `count` bytes came back or the
/// connection ended; returns what came back.
func exchange(_ port: Int, send chunks: [String], expecting count: Int) async throws -> String {
    let channel = try await connect(port)
    return try await channel.executeThenClose { inbound, outbound in
        for chunk in chunks { try? await outbound.write(ByteBuffer(string: chunk)) }
        var received = ""
        do {
            for try await buffer in inbound {
                received += String(buffer: buffer)
                if received.utf8.count >= count { break }
            }
        } catch {
            // A reset ends the exchange: what came before it is the answer.
        }
        return received
    }
}

/// Runs `body` with an echo server on a free loopback port.
func withEchoServer<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
    let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    let port = try #require(listener.channel.localAddress?.port)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try? await listener.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { echoes in
                    for try await connection in connections {
                        echoes.addTask {
                            try? await connection.executeThenClose { inbound, outbound in
                                for try await buffer in inbound { try await outbound.write(buffer) }
                            }
                        }
                    }
                }
            }
        }
        defer { listener.channel.close(promise: nil) }
        let result = try await body(port)
        listener.channel.close(promise: nil)
        try await group.waitForAll()
        return result
    }
}
