import Foundation

/// base64url (RFC 4648 §5) without padding, as page tokens and amplify-js's `header-`
/// subprotocol carry it. Decoding also takes the standard alphabet and padding, as gql's
/// `header` query parameter sends them.
public enum Base64URL {
    /// The bytes in base64url, without padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of base64url or standard base64 text, padded or not; nil when it is neither.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { Array($0) }
    }

    /// Standard base64 with padding (the `header` query parameter of the real-time handshake).
    public static func encodeStandard(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}
