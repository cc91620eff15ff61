public import DataStore
public import DataStoreAppSync
import Foundation

/// Reads (PROTOCOL §3): `get`, and the paged `list` and base/delta `sync` with tokens that only
/// continue the read they came from.
extension DataSource {
    /// `getX`: the item with the given key, tombstones included (clients filter on `_deleted`).
    ///
    /// - Throws: `Unauthorized` when `caller` may not read the item (or no item of the model).
    public func get(
        _ modelName: String,
        key: [String: FieldValue],
        as caller: Caller? = nil
    ) async throws(AppSyncError)
        -> FieldValue?
    {
        let model = try model(modelName)
        let access = try access(.get, model, caller)
        guard let item = try await store.item(modelName, key: model.key(of: key)) else { return nil }
        guard access.permits(item.fields) else {
            throw AppSyncError(.notAuthorized, "Not Authorized to access get on type \(modelName)")
        }
        return output(item, of: model, .get, for: caller)
    }

    /// One page of a read.
    public struct Page: Sendable {
        /// The items, in the API's shape.
        public let items: [FieldValue]
        /// Where the next page starts; nil on the last page.
        public let nextToken: String?
        /// When the sync started (nil for lists): the client's next `lastSync`.
        public let startedAt: Int64?
    }

    /// `syncX` (PROTOCOL §3.3): a base page (all items, tombstones within their TTL) or, when
    /// `lastSync` is within the delta log's TTL, a delta page (every write since `lastSync`).
    public func sync(
        _ modelName: String,
        filter: FieldValue? = nil,
        limit: Int? = nil,
        nextToken: String? = nil,
        lastSync: Int64? = nil,
        as caller: Caller? = nil
    ) async throws(AppSyncError) -> Page {
        let model = try model(modelName)
        let access = try access(.sync, model, caller)
        let limit = try Self.checkedLimit(limit)
        let predicate = try model.predicate(filter, "filter")
        let digest = Self.digest(filter)
        let now = configuration.clock.millisecondsSince1970
        let token: PageToken
        if let nextToken {
            token = try continuation(nextToken, of: modelName, filterDigest: digest, from: [.base, .delta])
        } else if let lastSync, lastSync >= now - configuration.deltaSyncTTL.milliseconds {
            token = PageToken(
                model: modelName,
                source: .delta,
                after: "0",
                startedAt: now,
                lastSync: lastSync,
                filterDigest: digest
            )
        } else {
            token = PageToken(
                model: modelName,
                source: .base,
                after: "",
                startedAt: now,
                lastSync: nil,
                filterDigest: digest
            )
        }
        return try await read(
            model,
            token,
            limit: limit,
            predicate: predicate,
            now: now,
            reader: (.sync, access, caller)
        )
    }

    /// `listX`: a page of items (tombstones included), filtered.
    public func list(
        _ modelName: String,
        filter: FieldValue? = nil,
        limit: Int? = nil,
        nextToken: String? = nil,
        as caller: Caller? = nil
    )
        async throws(AppSyncError) -> Page
    {
        let model = try model(modelName)
        let access = try access(.list, model, caller)
        let limit = try Self.checkedLimit(limit)
        let predicate = try model.predicate(filter, "filter")
        let digest = Self.digest(filter)
        var token = PageToken(
            model: modelName,
            source: .list,
            after: "",
            startedAt: 0,
            lastSync: nil,
            filterDigest: digest
        )
        if let nextToken { token = try continuation(nextToken, of: modelName, filterDigest: digest, from: [.list]) }
        return try await read(
            model,
            token,
            limit: limit,
            predicate: predicate,
            now: configuration.clock.millisecondsSince1970,
            reader: (.list, access, caller)
        )
    }

    /// Who reads, through which operation, reaching which items.
    typealias Reader = (operation: ModelOperation, access: ItemAccess, caller: Caller?)

    /// The token a read continues from, refused unless it was issued for the same model, filter
    /// and kind of read.
    func continuation(
        _ nextToken: String,
        of model: String,
        filterDigest: String,
        from sources: Set<PageToken.Source>
    ) throws(AppSyncError) -> PageToken {
        let token = try PageToken(decoding: nextToken, secret: try tokenSecret)
        guard token.model == model, token.filterDigest == filterDigest, sources.contains(token.source) else {
            throw .badRequest(
                "The nextToken belongs to another query; continue with the filter and model it came from."
            )
        }
        return token
    }

    /// Reads one page from where `token` points. `limit` counts items *read*, as AppSync's does, so
    /// a filtered page may hold fewer (even none) while more pages follow.
    private func read(
        _ model: ServerModel,
        _ token: PageToken,
        limit: Int,
        predicate: PredicateEvaluator?,
        now: Int64,
        reader: Reader
    )
        async throws(AppSyncError) -> Page
    {
        var items: [FieldValue] = []
        let next: String?
        switch token.source {
        case .base, .list:
            let page = try await store.items(model.name, after: token.after.isEmpty ? nil : token.after, limit: limit)
            let expired = now - configuration.tombstoneTTL.milliseconds
            for (_, item) in page {
                if token.source == .base, item.isDeleted, item.lastChangedAt < expired { continue }
                if let predicate, !predicate.matches(model.filterValues(item)) { continue }
                guard reader.access.permits(item.fields) else { continue }
                items.append(output(item, of: model, reader.operation, for: reader.caller))
            }
            next = page.count == limit ? page.last?.key : nil
        case .range:
            // Range tokens continue `list(_:range:…)`; `continuation` does not hand them here.
            throw .badRequest("The nextToken belongs to a key query; continue it with the same arguments.")
        case .delta:
            let page = try await store.changes(
                model.name,
                since: token.lastSync ?? 0,
                after: Int64(token.after) ?? 0,
                limit: limit
            )
            for (_, item) in page where predicate?.matches(model.filterValues(item)) ?? true {
                // Tombstones too: a deletion is news only to those who could read the item.
                guard reader.access.permits(item.fields) else { continue }
                items.append(output(item, of: model, reader.operation, for: reader.caller))
            }
            next = page.count == limit ? page.last.map { String($0.position) } : nil
        }
        let secret = try tokenSecret
        let nextToken = next.map {
            PageToken(
                model: model.name,
                source: token.source,
                after: $0,
                startedAt: token.startedAt,
                lastSync: token.lastSync,
                filterDigest: token.filterDigest
            ).encode(secret: secret)
        }
        return Page(items: items, nextToken: nextToken, startedAt: token.source == .list ? nil : token.startedAt)
    }

    static func checkedLimit(_ limit: Int?) throws(AppSyncError) -> Int {
        guard let limit else { return defaultLimit }
        guard (1...maximumLimit).contains(limit) else {
            throw .badRequest("limit must be between 1 and \(maximumLimit); it was \(limit).")
        }
        return limit
    }

    static func digest(_ filter: FieldValue?) -> String {
        Base64URL.encode(Array(SHA256.digest(Array((filter ?? .null).jsonText.utf8)).prefix(12)))
    }
}
