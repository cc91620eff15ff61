public import DataStore

/// A message the server sends over the WebSocket (PROTOCOL §6.3).
public enum RealtimeServerMessage: Hashable, Sendable {
    /// Sent after `connection_init`; clients take `connectionTimeoutMs` as their keep-alive
    /// deadline (Swift reconnects in a loop without it).
    case connectionAck(connectionTimeoutMs: Int)
    /// The handshake failed (bad or missing credentials, no `connection_init` in time); each
    /// error carries an `errorCode`.
    case connectionError([AppSyncError])
    /// Keep-alive (`ka`).
    case keepAlive
    /// The subscription `id` is registered.
    case startAck(id: String)
    /// An event for subscription `id`: a GraphQL result (`{"data": {"onCreatePost": {…}}}`).
    case data(id: String, payload: FieldValue)
    /// A failure of subscription `id`, or of the connection when `id` is nil.
    case error(id: String?, errors: [AppSyncError])
    /// The answer to `stop`.
    case complete(id: String)
    /// A `type` this protocol does not define, kept so a client can ignore it.
    case unknown(type: String, id: String?)

    /// A failure with one error object.
    public static func error(id: String?, _ errorType: AppSyncErrorType, _ message: String) -> Self {
        .error(id: id, errors: [AppSyncError(errorType, message)])
    }

    /// A `data` frame around a payload already rendered as JSON: the same text as
    /// ``data(id:payload:)``, without rendering the payload again for every subscriber.
    public static func dataFrame(id: String, payloadJSON: String) -> String {
        #"{"id":"# + FieldValue.string(id).jsonText + #","payload":"# + payloadJSON + #","type":"data"}"#
    }

    /// Reads a text frame.
    ///
    /// - Throws: ``RealtimeProtocolError`` naming what is wrong.
    public init(text: String) throws(RealtimeProtocolError) {
        let (type, id, members) = try RealtimeFrame.read(text)
        func needID() throws(RealtimeProtocolError) -> String {
            guard let id else { throw RealtimeProtocolError(id: nil, "A \(type) message needs an id.") }
            return id
        }
        func errors() throws(RealtimeProtocolError) -> [AppSyncError] {
            guard case .object(let payload)? = members["payload"], case .list(let objects)? = payload["errors"] else {
                throw RealtimeProtocolError(id: id, "A \(type) message needs payload.errors, a list.")
            }
            do {
                return try objects.map { value throws(AppSyncDecodingError) in try AppSyncError(decoding: value) }
            } catch {
                throw RealtimeProtocolError(id: id, "The \(type) message's \(error)")
            }
        }
        switch type {
        case "connection_ack":
            guard case .object(let payload)? = members["payload"],
                case .int(let timeout)? = payload["connectionTimeoutMs"]
            else {
                throw RealtimeProtocolError(id: id, "A connection_ack needs payload.connectionTimeoutMs, an integer.")
            }
            self = .connectionAck(connectionTimeoutMs: timeout)
        case "connection_error":
            self = .connectionError(try errors())
        case "ka":
            self = .keepAlive
        case "start_ack":
            self = .startAck(id: try needID())
        case "data":
            let id = try needID()
            guard let payload = members["payload"], case .object = payload else {
                throw RealtimeProtocolError(id: id, "A data message needs a payload object.")
            }
            self = .data(id: id, payload: payload)
        case "error":
            self = .error(id: id, errors: try errors())
        case "complete":
            self = .complete(id: try needID())
        default:
            self = .unknown(type: type, id: id)
        }
    }

    /// The frame's JSON text.
    public var text: String {
        let object: [String: FieldValue]
        switch self {
        case .connectionAck(let timeout):
            object = ["type": "connection_ack", "payload": ["connectionTimeoutMs": .int(timeout)]]
        case .connectionError(let errors):
            object = ["type": "connection_error", "payload": ["errors": .list(errors.map(\.jsonValue))]]
        case .keepAlive:
            object = ["type": "ka"]
        case .startAck(let id):
            object = ["id": .string(id), "type": "start_ack"]
        case .data(let id, let payload):
            object = ["id": .string(id), "type": "data", "payload": payload]
        case .error(let id, let errors):
            var frame: [String: FieldValue] = ["type": "error", "payload": ["errors": .list(errors.map(\.jsonValue))]]
            if let id { frame["id"] = .string(id) }
            object = frame
        case .complete(let id):
            object = ["id": .string(id), "type": "complete"]
        case .unknown(let type, let id):
            return RealtimeFrame.bare(type: type, id: id)
        }
        return FieldValue.object(object).jsonText
    }
}
