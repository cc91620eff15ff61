public import AsyncHTTPClient
import DataStore
import NIOCore
import NIOHTTP1

/// Ready-made custom conflict handlers.
public enum ConflictHandlers {
    /// A handler that asks an HTTP endpoint (PROTOCOL §10): it POSTs the ``ConflictRequest`` as
    /// JSON (`model`, `operation`, `newItem`, `existingItem`, `arguments`, `identity`) and reads
    /// `{"action": "RESOLVE", "item": {…}}`, `{"action": "REJECT"}` or `{"action": "REMOVE"}`.
    ///
    /// A webhook that fails — unreachable, slower than `timeout`, a status other than 2xx, an
    /// answer that is not one of the three — makes the mutation fail with `ConflictUnhandled`
    /// carrying the server's item (as a rejection would); nothing is written.
    ///
    /// - Parameters:
    ///   - url: the endpoint, `http://` or `https://`.
    ///   - timeout: how long one call may take.
    ///   - client: the HTTP client to call with.
    public static func webhook(
        _ url: String,
        timeout: Duration = .seconds(5),
        client: HTTPClient = .shared
    ) -> ConflictHandler {
        { request in
            var call = HTTPClientRequest(url: url)
            call.method = .POST
            call.headers.add(name: "content-type", value: "application/json")
            call.body = .bytes(ByteBuffer(string: request.json.jsonText))
            let response = try await client.execute(call, timeout: .milliseconds(timeout.milliseconds))
            let body = try await response.body.collect(upTo: 4 << 20)
            guard (200..<300).contains(response.status.code) else {
                throw ConflictWebhookError("\(url) answered HTTP \(response.status.code)")
            }
            let answer: FieldValue
            do {
                answer = try FieldValue(jsonText: String(buffer: body))
            } catch {
                throw ConflictWebhookError("\(url) answered with text that is not JSON (\(error))")
            }
            switch answer {
            case .object(let members) where members["action"] == "RESOLVE":
                guard let item = members["item"], case .object = item else {
                    throw ConflictWebhookError("\(url) answered RESOLVE without an \"item\" object")
                }
                return .resolve(item)
            case .object(let members) where members["action"] == "REJECT":
                return .reject
            case .object(let members) where members["action"] == "REMOVE":
                return .remove
            default:
                throw ConflictWebhookError(
                    "\(url) answered \(answer.jsonText.prefix(200)); expected an object whose \"action\" is "
                        + "RESOLVE (with \"item\"), REJECT or REMOVE"
                )
            }
        }
    }
}

/// A conflict webhook's answer could not be used.
public struct ConflictWebhookError: Error, CustomStringConvertible {
    /// What was wrong with the answer.
    public let description: String

    init(_ description: String) { self.description = description }
}

extension ConflictRequest {
    /// The request as the webhook receives it.
    var json: FieldValue {
        .object([
            "model": .string(model),
            "operation": .string(operation),
            "newItem": newItem,
            "existingItem": existingItem,
            "arguments": arguments,
            "identity": identity ?? .null,
        ])
    }
}
