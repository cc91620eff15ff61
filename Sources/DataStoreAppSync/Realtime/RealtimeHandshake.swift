public import DataStore
import Foundation

/// The credentials of a WebSocket handshake, in the three forms clients use (PROTOCOL §6.2): an
/// authorization object (`{"host": …, "x-api-key": …}`) in the `header` query parameter
/// (standard base64, as gql sends it), in a `header-<base64url>` subprotocol (amplify-js), or
/// as plain request headers (amplify-swift).
public enum RealtimeHandshake {
    /// The subprotocol every real-time connection offers.
    public static let subprotocol = "graphql-ws"

    /// The request headers the plain-header form carries, lowercased.
    public static let headerNames = ["x-api-key", "authorization", "host", "x-amz-date", "x-amz-security-token"]

    /// Where a client puts the authorization object.
    public enum Form: Hashable, Sendable, CaseIterable {
        /// `?header=<base64>&payload=e30=`.
        case queryParameter
        /// A `header-<base64url>` subprotocol beside `graphql-ws`.
        case subprotocol
        /// Request headers (only ``RealtimeHandshake/headerNames`` travel this way).
        case headers
    }

    /// What a client adds to its upgrade request.
    public struct Upgrade: Hashable, Sendable {
        /// The query string, without the `?`.
        public var query: String?
        /// The `Sec-WebSocket-Protocol` values to offer.
        public var subprotocols: [String]
        /// Extra request headers, names lowercased.
        public var headers: [String: String]
    }

    /// The upgrade request parts that carry `authorization` in `form`.
    public static func upgrade(authorization: [String: String], form: Form) -> Upgrade {
        let json = Array(FieldValue.object(authorization.mapValues { .string($0) }).jsonText.utf8)
        switch form {
        case .queryParameter:
            // gql's form: raw standard base64 (not percent-encoded) and an empty payload object.
            return Upgrade(
                query: "header=" + Base64URL.encodeStandard(json) + "&payload=e30=",
                subprotocols: [subprotocol],
                headers: [:]
            )
        case .subprotocol:
            return Upgrade(query: nil, subprotocols: [subprotocol, "header-" + Base64URL.encode(json)], headers: [:])
        case .headers:
            var headers: [String: String] = [:]
            for (name, value) in authorization where headerNames.contains(name.lowercased()) {
                headers[name.lowercased()] = value
            }
            return Upgrade(query: nil, subprotocols: [subprotocol], headers: headers)
        }
    }

    /// The authorization object of an upgrade request, in whichever form the client used.
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
        for name in headerNames {
            if let value = headers[name] { fromHeaders[name] = .string(value) }
        }
        guard fromHeaders["x-api-key"] != nil || fromHeaders["authorization"] != nil else { return nil }
        return .object(fromHeaders)
    }

    /// The API key of an authorization object (its key is `x-api-key`, in any case).
    public static func apiKey(_ authorization: FieldValue?) -> String? {
        value(of: "x-api-key", in: authorization)
    }

    /// The token of an authorization object (`Authorization`, any case): a user pool, OIDC or
    /// Lambda token.
    public static func token(_ authorization: FieldValue?) -> String? {
        value(of: "authorization", in: authorization)
    }

    /// The text member `name` (compared without case) of an authorization object.
    private static func value(of name: String, in authorization: FieldValue?) -> String? {
        guard case .object(let members)? = authorization else { return nil }
        for (member, value) in members where member.lowercased() == name {
            if case .string(let text) = value { return text }
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
