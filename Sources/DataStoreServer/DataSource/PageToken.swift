import DataStore
import DataStoreAppSync
import Foundation

/// Where a paged read resumes: an opaque `nextToken` for clients, authenticated with an HMAC so
/// that a token that was altered, or made for another query, is refused instead of misread.
struct PageToken: Hashable, Sendable {
    enum Source: String, Sendable {
        case base, delta, list
        /// A key range (key queries, relation fields).
        case range
    }

    let model: String
    let source: Source
    /// The last key read (base, list), the last delta-log position (delta), or the JSON of the
    /// last sort value and key read (range).
    let after: String
    /// `startedAt` of the first page, repeated on every later one.
    let startedAt: Int64
    /// The `lastSync` of a delta read.
    let lastSync: Int64?
    /// A digest of the filter, so that a token only continues the query it came from.
    let filterDigest: String

    func encode(secret: [UInt8]) -> String {
        var payload: [String: FieldValue] = [
            "m": .string(model), "s": .string(source.rawValue), "a": .string(after), "t": .int(Int(startedAt)),
            "f": .string(filterDigest),
        ]
        if let lastSync { payload["l"] = .int(Int(lastSync)) }
        let body = Array(FieldValue.object(payload).jsonText.utf8)
        return Base64URL.encode(body) + "." + Base64URL.encode(HMAC.sha256(key: secret, message: body))
    }

    /// Decodes a token made by ``encode(secret:)`` with the same secret.
    ///
    /// - Throws: `AppSyncError` (`BadRequestException`) for anything else.
    init(decoding token: String, secret: [UInt8]) throws(AppSyncError) {
        let invalid = AppSyncError.badRequest(
            "The nextToken is not one this server issued, or was altered. Start again without nextToken."
        )
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let body = Base64URL.decode(parts[0]), let mac = Base64URL.decode(parts[1]),
            HMAC.constantTimeEqual(mac, HMAC.sha256(key: secret, message: body)),
            let text = String(bytes: body, encoding: .utf8),
            case .object(let payload)? = try? FieldValue(jsonText: text),
            case .string(let model)? = payload["m"], case .string(let sourceName)? = payload["s"],
            let source = Source(rawValue: sourceName), case .string(let after)? = payload["a"],
            case .int(let startedAt)? = payload["t"], case .string(let filterDigest)? = payload["f"]
        else { throw invalid }
        self.model = model
        self.source = source
        self.after = after
        self.startedAt = Int64(startedAt)
        if case .int(let lastSync)? = payload["l"] { self.lastSync = Int64(lastSync) } else { self.lastSync = nil }
        self.filterDigest = filterDigest
    }

    init(model: String, source: Source, after: String, startedAt: Int64, lastSync: Int64?, filterDigest: String) {
        self.model = model
        self.source = source
        self.after = after
        self.startedAt = startedAt
        self.lastSync = lastSync
        self.filterDigest = filterDigest
    }
}

/// HMAC-SHA256 (RFC 2104) over the package's SHA-256.
enum HMAC {
    static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? SHA256.digest(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = SHA256.digest(block.map { $0 ^ 0x36 } + message)
        return SHA256.digest(block.map { $0 ^ 0x5c } + inner)
    }

    /// Compares without stopping at the first difference, so timing does not reveal the MAC.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
