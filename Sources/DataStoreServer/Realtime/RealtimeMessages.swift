public import DataStore
import Foundation

/// A message a real-time client sends over the WebSocket (PROTOCOL §6.3).
public enum RealtimeClientMessage: Equatable, Sendable {
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
            } catch let error as ServerError {
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
}

/// A message that is not part of the protocol.
public struct RealtimeProtocolError: Error, Equatable, Sendable {
    /// The subscription the message named, if any.
    public let id: String?
    public let message: String

    init(id: String?, _ message: String) {
        self.id = id
        self.message = message
    }
}

/// A message the server sends (PROTOCOL §6.3).
public enum RealtimeServerMessage: Equatable, Sendable {
    /// Sent after `connection_init`; clients take `connectionTimeoutMs` as their keep-alive
    /// deadline (Swift reconnects in a loop without it).
    case connectionAck(connectionTimeoutMs: Int)
    /// The handshake failed (bad or missing credentials).
    case connectionError(errorType: String, message: String, errorCode: Int)
    /// Keep-alive.
    case keepAlive
    /// The subscription `id` is registered.
    case startAck(id: String)
    /// An event for subscription `id`: a GraphQL result (`{"data": {"onCreatePost": {…}}}`).
    case data(id: String, payload: FieldValue)
    /// A failure of subscription `id`, or of the connection when `id` is nil.
    case error(id: String?, errorType: String, message: String)
    /// The answer to `stop`.
    case complete(id: String)

    /// A `data` frame around a payload already rendered as JSON: the same text as
    /// ``data(id:payload:)``, without rendering the payload again for every subscriber.
    static func dataFrame(id: String, payloadJSON: String) -> String {
        #"{"id":"# + FieldValue.string(id).jsonText + #","payload":"# + payloadJSON + #","type":"data"}"#
    }

    /// An `error` frame with several GraphQL error objects (a refused `start` reports each
    /// validation problem).
    static func errorFrame(id: String?, errors: [FieldValue]) -> String {
        var object: [String: FieldValue] = ["type": "error", "payload": ["errors": .list(errors)]]
        if let id { object["id"] = .string(id) }
        return FieldValue.object(object).jsonText
    }

    /// The frame's JSON text.
    public var text: String {
        let object: [String: FieldValue]
        switch self {
        case .connectionAck(let timeout):
            object = ["type": "connection_ack", "payload": ["connectionTimeoutMs": .int(timeout)]]
        case .connectionError(let errorType, let message, let errorCode):
            object = [
                "type": "connection_error",
                "payload": [
                    "errors": [
                        [
                            "errorType": .string(errorType), "message": .string(message),
                            "errorCode": .int(errorCode),
                        ]
                    ]
                ],
            ]
        case .keepAlive:
            object = ["type": "ka"]
        case .startAck(let id):
            object = ["id": .string(id), "type": "start_ack"]
        case .data(let id, let payload):
            object = ["id": .string(id), "type": "data", "payload": payload]
        case .error(let id, let errorType, let message):
            return Self.errorFrame(id: id, errors: [["errorType": .string(errorType), "message": .string(message)]])
        case .complete(let id):
            object = ["id": .string(id), "type": "complete"]
        }
        return FieldValue.object(object).jsonText
    }
}

/// The credentials of a WebSocket handshake, in whichever of the three forms a client used
/// (PROTOCOL §6.2).
public enum RealtimeHandshake {
    /// The authorization object (`{"host": …, "x-api-key": …}`) from the upgrade request: the
    /// `header` query parameter (standard base64, `+` and `/` left raw, as gql sends it), a
    /// `header-<base64url>` subprotocol (amplify-js), or plain request headers (amplify-swift).
    ///
    /// - Parameters:
    ///   - query: the request's query string, without the `?`.
    ///   - subprotocols: the offered `Sec-WebSocket-Protocol` values.
    ///   - headers: the request's headers, names lowercased.
    public static func authorization(query: String?, subprotocols: [String], headers: [String: String]) -> FieldValue? {
        if let query {
            for pair in query.split(separator: "&") where pair.hasPrefix("header=") {
                // Not percent-decoded: gql sends raw base64, where `+` is not a space.
                let value = pair.dropFirst("header=".count).replacingOccurrences(of: "%3D", with: "=")
                    .replacingOccurrences(of: "%2B", with: "+").replacingOccurrences(of: "%2F", with: "/")
                if let object = decode(value) { return object }
            }
        }
        for offered in subprotocols {
            let trimmed = offered.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("header-"), let object = decode(trimmed.dropFirst("header-".count)) {
                return object
            }
        }
        var fromHeaders: [String: FieldValue] = [:]
        for name in ["x-api-key", "authorization", "host", "x-amz-date", "x-amz-security-token"] {
            if let value = headers[name] { fromHeaders[name] = .string(value) }
        }
        guard fromHeaders["x-api-key"] != nil || fromHeaders["authorization"] != nil else { return nil }
        return .object(fromHeaders)
    }

    /// The API key of an authorization object (its key is `x-api-key`, in any case).
    public static func apiKey(_ authorization: FieldValue?) -> String? {
        guard case .object(let members)? = authorization else { return nil }
        for (name, value) in members where name.lowercased() == "x-api-key" {
            if case .string(let key) = value { return key }
        }
        return nil
    }

    /// Decodes base64 or base64url text holding a JSON object.
    private static func decode(_ text: some StringProtocol) -> FieldValue? {
        guard let bytes = Base64URL.decode(text), let json = String(bytes: bytes, encoding: .utf8),
            case .object(let members)? = try? FieldValue(jsonText: json)
        else { return nil }
        return .object(members)
    }
}
