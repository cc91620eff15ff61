public import DataStore

/// A message a real-time client sends over the WebSocket (PROTOCOL §6.3).
public enum RealtimeClientMessage: Hashable, Sendable {
    /// `{"type":"connection_init"}` (gql adds an empty payload).
    case connectionInit
    /// `{"id":…,"type":"start","payload":{"data":"<JSON string>","extensions":{"authorization":{…}}}}`.
    case start(id: String, request: OperationRequest, authorization: FieldValue?)
    /// `{"id":…,"type":"stop"}`.
    case stop(id: String)
    /// Any other `type`, answered with an error rather than a closed connection.
    case unknown(type: String, id: String?)

    /// Reads a text frame.
    ///
    /// - Throws: ``RealtimeProtocolError`` naming what is wrong, with the message's `id` when it
    ///   had one (so the error can be addressed to that subscription).
    public init(text: String) throws(RealtimeProtocolError) {
        let (type, id, members) = try RealtimeFrame.read(text)
        switch type {
        case "connection_init":
            self = .connectionInit
        case "stop":
            guard let id else { throw RealtimeProtocolError(id: nil, "A stop message needs the id of a subscription.") }
            self = .stop(id: id)
        case "start":
            guard let id, !id.isEmpty else {
                throw RealtimeProtocolError(id: nil, "A start message needs an id for the subscription.")
            }
            guard case .object(let payload)? = members["payload"] else {
                throw RealtimeProtocolError(id: id, "A start message needs a payload object.")
            }
            // `data` is a JSON document inside a string (every client sends it so).
            guard case .string(let data)? = payload["data"] else {
                throw RealtimeProtocolError(
                    id: id,
                    "The start payload's \"data\" must be a string holding the request's JSON."
                )
            }
            let request: OperationRequest
            do {
                request = try OperationRequest(FieldValue(jsonText: data))
            } catch let error as AppSyncError {
                throw RealtimeProtocolError(id: id, "The start payload's data: \(error.message)")
            } catch {
                throw RealtimeProtocolError(id: id, "The start payload's data is not JSON: \(error).")
            }
            var authorization: FieldValue?
            if case .object(let extensions)? = payload["extensions"], let value = extensions["authorization"],
                value != .null
            {
                authorization = value
            }
            self = .start(id: id, request: request, authorization: authorization)
        default:
            self = .unknown(type: type, id: id)
        }
    }

    /// The frame's JSON text.
    public var text: String {
        switch self {
        case .connectionInit:
            return FieldValue.object(["type": "connection_init"]).jsonText
        case .start(let id, let request, let authorization):
            var payload: [String: FieldValue] = ["data": .string(request.jsonValue.jsonText)]
            if let authorization { payload["extensions"] = ["authorization": authorization] }
            return FieldValue.object(["id": .string(id), "type": "start", "payload": .object(payload)]).jsonText
        case .stop(let id):
            return FieldValue.object(["id": .string(id), "type": "stop"]).jsonText
        case .unknown(let type, let id):
            return RealtimeFrame.bare(type: type, id: id)
        }
    }
}

/// A real-time message that is not part of the protocol.
public struct RealtimeProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The subscription the message named, if any.
    public let id: String?
    /// What is wrong.
    public let message: String

    /// An error about the message of subscription `id` (nil for none).
    public init(id: String?, _ message: String) {
        self.id = id
        self.message = message
    }

    /// The value as text, for messages and logs.
    public var description: String { message }
}

/// The envelope both directions share: a JSON object with a `type` and, for most messages, an `id`.
enum RealtimeFrame {
    static func read(
        _ text: String
    ) throws(RealtimeProtocolError) -> (type: String, id: String?, members: [String: FieldValue]) {
        let message: FieldValue
        do {
            message = try FieldValue(jsonText: text)
        } catch {
            throw RealtimeProtocolError(id: nil, "The message is not JSON: \(error).")
        }
        guard case .object(let members) = message else {
            throw RealtimeProtocolError(id: nil, "A message must be a JSON object with a \"type\".")
        }
        var id: String?
        switch members["id"] {
        case .string(let text)?: id = text
        case .int(let number)?: id = String(number)
        case nil, .null?: id = nil
        default: throw RealtimeProtocolError(id: nil, "A message's \"id\" must be a string.")
        }
        guard case .string(let type)? = members["type"] else {
            throw RealtimeProtocolError(id: id, "A message needs a \"type\" string.")
        }
        return (type, id, members)
    }

    static func bare(type: String, id: String?) -> String {
        var object: [String: FieldValue] = ["type": .string(type)]
        if let id { object["id"] = .string(id) }
        return FieldValue.object(object).jsonText
    }
}
