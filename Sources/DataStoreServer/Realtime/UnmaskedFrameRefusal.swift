import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Closes a WebSocket connection whose client sends a frame without a mask, with close code 1002
/// (RFC 6455 §5.1: "a server MUST close the connection upon receiving a frame that is not
/// masked"). NIO's frame decoder and the WebSocket layer above it take unmasked frames as they
/// come.
final class UnmaskedFrameRefusal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let frame = unwrapInboundIn(data)
        guard frame.maskKey == nil else {
            context.fireChannelRead(data)
            return
        }
        closing = true
        var reason = context.channel.allocator.buffer(capacity: 32)
        reason.write(webSocketErrorCode: .protocolError)
        reason.writeString("frames from a client are masked")
        let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: reason)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}

/// Sits behind the HTTP upgrade handler until a WebSocket upgrade completes, then puts an
/// ``UnmaskedFrameRefusal`` right behind the WebSocket frame decoder and leaves the pipeline.
///
/// The upgrade handler announces the upgrade before it replays the bytes that arrived during it,
/// so every frame of the connection meets the refusal. On a connection that stays HTTP it only
/// passes everything on.
final class WebSocketUpgradeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .upgradeComplete? = event as? HTTPServerUpgradeEvents {
            let operations = context.pipeline.syncOperations
            do {
                let decoder = try operations.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                try operations.addHandler(UnmaskedFrameRefusal(), position: .after(decoder))
            } catch {
                // No frame decoder: not a WebSocket upgrade, nothing to watch.
            }
            operations.removeHandler(self, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
