import DataStore
import Foundation
import NIOCore
import NIOPosix

/// A TCP connection to a test server that sends bytes no HTTP or WebSocket client would send, and
/// reads what comes back.
enum RawConnection {
    /// What the server answered, and whether it closed the connection.
    struct Exchange: Sendable {
        let response: [UInt8]
        /// True when the server closed the connection before the time limit.
        let closed: Bool

        var text: String { String(decoding: response, as: UTF8.self) }

        /// The status code of the first HTTP response line, if there is one.
        var status: Int? {
            guard text.hasPrefix("HTTP/1.1 ") else { return nil }
            return Int(text.dropFirst(9).prefix(3))
        }

        /// The body after the first response's header block.
        var body: String {
            guard let range = text.range(of: "\r\n\r\n") else { return "" }
            return String(text[range.upperBound...])
        }
    }

    /// Connects to 127.0.0.1:`port`, sends `chunks` one after the other, and reads until the server
    /// closes the connection, what arrived satisfies `until`, or `timeout` passes (a bound for a
    /// failing test, not a wait).
    static func exchange(
        port: Int,
        _ chunks: [[UInt8]],
        timeout: Duration = .seconds(10),
        until: @escaping @Sendable ([UInt8]) -> Bool = { _ in false }
    ) async throws -> Exchange {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: false)
                    )
                }
            }
        let received = Locked<[UInt8]>([])
        let closed = try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    do {
                        for try await chunk in inbound {
                            let enough = received.withLock { received in
                                received.append(contentsOf: chunk.readableBytesView)
                                return until(received)
                            }
                            if enough { return false }
                        }
                    } catch {
                        // A reset connection is closed too.
                    }
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return false
                }
                for chunk in chunks {
                    // The server may close before it has read everything; that is an answer too.
                    do { try await outbound.write(ByteBuffer(bytes: chunk)) } catch { break }
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
        }
        return Exchange(response: received.withLock { $0 }, closed: closed)
    }

    /// Sends one request's text, as `exchange` does.
    static func exchange(port: Int, _ text: String, timeout: Duration = .seconds(10)) async throws -> Exchange {
        try await exchange(port: port, [Array(text.utf8)], timeout: timeout)
    }
}
