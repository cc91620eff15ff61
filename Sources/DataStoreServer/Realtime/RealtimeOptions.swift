/// Settings of the real-time WebSocket endpoint (PROTOCOL §6).
public struct RealtimeOptions: Sendable {
    /// Sent in `connection_ack` as `connectionTimeoutMs`: how long clients wait for a `ka` before
    /// they reconnect. AppSync's value: 5 minutes.
    public var connectionTimeout: Duration = .seconds(300)
    /// How often the server sends `ka`. Must be well below ``connectionTimeout``.
    public var keepAliveInterval: Duration = .seconds(60)
    /// How often the server sends WebSocket pings, to find clients that vanished without closing
    /// their connection: a client that has not answered one ping when the next is due is
    /// disconnected. WebSocket clients answer pings by themselves, but only while they read. Nil
    /// sends none. Pings run on the wall clock, not on the server's injected clock.
    public var pingInterval: Duration? = .seconds(30)
    /// How long a new connection may take to send `connection_init` before it is closed.
    public var initTimeout: Duration = .seconds(30)
    /// How long a connection the server is closing (after `connection_error`, or a client that
    /// reads too slowly) is given to read the last messages and answer the close, before its
    /// socket is closed.
    public var closeGracePeriod: Duration = .seconds(5)
    /// The most subscriptions one connection may hold (`MaxSubscriptionsReachedError` beyond).
    public var maximumSubscriptionsPerConnection = 100
    /// The largest event payload sent, in bytes of JSON (AppSync: 240 KB). A larger event is
    /// replaced by a `LimitExceededError` for that subscription; the write itself is stored.
    public var maximumPayloadSize = 240 * 1024
    /// The largest message a client may send, in bytes (the connection is closed with 1009 when
    /// one is larger).
    public var maximumMessageSize = 128 * 1024
    /// The most bytes of messages that may wait for one connection. A client that reads slower
    /// than events arrive reaches it and is disconnected with a `LimitExceededError`, so a slow
    /// consumer costs bounded memory and never delays the others.
    public var outboundBufferSize = 4 << 20

    /// The defaults.
    public init() {}
}
