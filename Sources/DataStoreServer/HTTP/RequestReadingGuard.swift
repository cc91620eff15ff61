import DataStore
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 and WebSocket channel, with the answers RFC 9112 asks for when a request
/// cannot be read, and RFC 6455's close of a client that sends unmasked frames.
///
/// Hummingbird turns NIO's protocol error handling off and leaves a connection whose request NIO
/// could not parse open and silent until the client leaves. Here ``RequestReadingGuard`` sits
/// right after NIO's request decoder and answers such a request, then closes the connection.
struct GuardedHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value

    let inner: HTTP1WebSocketUpgradeChannel
    /// How long a new connection may take to send its first request's head.
    let headerTimeout: Duration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(
                RequestReadingGuard(headerTimeout: .init(headerTimeout)),
                position: .after(decoder)
            )
            // Behind the upgrade handler: on a WebSocket upgrade it puts the refusal of unmasked
            // frames in place.
            try operations.addHandler(WebSocketUpgradeWatcher())
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Answers a request NIO's HTTP parser refuses, and a connection that sends no request head in
/// time, with an AppSync-shaped JSON error and `Connection: close`, then closes the connection:
///
/// - 431 for a header block over the decoder's limits, 501 for an unknown method, 505 for an
///   HTTP version other than 1.0 and 1.1, 400 for anything else (a garbage request line, a
///   header without a colon or with control bytes, conflicting or invalid lengths);
/// - 408 when the first request's head has not arrived within the header timeout (later requests
///   are Hummingbird's idle timeout's).
///
/// It never reads the parts that pass it (after a WebSocket upgrade the bytes of frames pass it):
/// a parse error only arises while a request is read. If a client pipelines a malformed request
/// behind one whose response is still being written, the error answer follows that response's
/// parts before the close: the client broke the protocol first.
final class RequestReadingGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let headerTimeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var answered = false

    init(headerTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimer(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Something was decoded: the first request's head arrived.
        timer?.cancel()
        timer = nil
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let (status, message) = Self.answer(error)
        answer(context, status, message)
    }

    static func answer(_ error: HTTPParserError) -> (HTTPResponseStatus, String) {
        switch error {
        case .headerOverflow:
            (.requestHeaderFieldsTooLarge, "The request's header block is larger than this server reads.")
        case .invalidMethod:
            (.notImplemented, "The request's method is not one this server knows.")
        case .invalidVersion:
            (.httpVersionNotSupported, "This server speaks HTTP/1.1 (and 1.0).")
        default:
            (.badRequest, "The request is not valid HTTP/1.1 (\(error)).")
        }
    }

    private func startTimer(_ context: ChannelHandlerContext) {
        guard timer == nil, !answered else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: headerTimeout) {
            let (handler, context) = loopBound.value
            handler.answer(context, .requestTimeout, "No request head arrived in time; the connection is closed.")
        }
    }

    private func answer(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ message: String) {
        guard !answered else { return }
        answered = true
        timer?.cancel()
        let body = ByteBuffer(string: GraphQLAPI.failure(.badRequest(message)).jsonText)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil
        )
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}
