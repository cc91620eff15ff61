import DataStore
import GraphQL

/// A document that passed parsing, validation and the depth limit, and its response plan if it has one.
struct CheckedDocument: Sendable {
    let document: Document
    let plan: ResponsePlan?
}

/// Documents that passed parsing, validation and the depth limit, by query text.
///
/// Clients send the same few operations over and over (an Amplify client has one query text per
/// model and operation), and validating a document costs far more than executing it. Validation
/// depends only on the document and the schema, which never changes while a ``GraphQLAPI`` lives,
/// so a document that passed once passes again.
///
/// The cache is bounded in entries and in the size of each query it keeps: a query longer than
/// ``maximumQueryLength`` is checked on every request. It keeps two generations: a hit in the
/// older one moves the entry to the newer one, and when the newer one is full the older one is
/// dropped. Recently used documents survive, every operation is O(1), and memory stays under
/// `capacity` documents.
final class DocumentCache: Sendable {
    /// The most documents kept.
    let capacity: Int
    /// The longest query text kept, in UTF-8 bytes.
    let maximumQueryLength: Int

    private struct Generations {
        var newer: [String: CheckedDocument] = [:]
        var older: [String: CheckedDocument] = [:]
    }

    private let generations = Locked(Generations())

    init(capacity: Int = 512, maximumQueryLength: Int = 16 << 10) {
        self.capacity = max(capacity, 2)
        self.maximumQueryLength = maximumQueryLength
    }

    /// The checked document for `query`, if it is cached.
    func document(for query: String) -> CheckedDocument? {
        generations.withLock { generations in
            if let document = generations.newer[query] { return document }
            guard let document = generations.older.removeValue(forKey: query) else { return nil }
            Self.insert(document, for: query, into: &generations, generationSize: capacity / 2)
            return document
        }
    }

    /// Keeps `document`, which passed every check, for `query`.
    func store(_ document: CheckedDocument, for query: String) {
        guard query.utf8.count <= maximumQueryLength else { return }
        generations.withLock { generations in
            Self.insert(document, for: query, into: &generations, generationSize: capacity / 2)
        }
    }

    /// How many documents are cached.
    var count: Int {
        generations.withLock { $0.newer.count + $0.older.count }
    }

    private static func insert(
        _ document: CheckedDocument,
        for query: String,
        into generations: inout Generations,
        generationSize: Int
    ) {
        if generations.newer.count >= generationSize, generations.newer[query] == nil {
            generations.older = generations.newer
            generations.newer = [:]
        }
        generations.newer[query] = document
    }
}
