import Foundation
import RelationModels
import Testing

@testable import DataStore

/// The storage kinds the relation tests run against: SQLite (file and memory) and the pure
/// in-memory adapter, whose evaluator is the reference for the SQL.
enum StorageKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqliteFile, sqliteInMemory, ephemeral

    var testDescription: String { rawValue }
}

/// Opens a store of the relation models for one test and closes it afterwards.
@discardableResult
func withStore<T>(
    _ kind: StorageKind = .sqliteFile,
    models: [any Model.Type] = AppModels.models,
    outboxEnabled: Bool = false,
    _ body: (DataStore) async throws -> T
) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appending(path: "relation-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let storage: StorageConfiguration
    switch kind {
    case .sqliteFile: storage = .file(at: directory.appending(path: "store.sqlite"))
    case .sqliteInMemory: storage = .inMemory
    case .ephemeral: storage = .ephemeral
    }
    let store = try await DataStore(
        models: models,
        storage: storage,
        configuration: DataStore.Configuration(),
        outboxEnabled: outboxEnabled
    )
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

/// Runs `body`, expecting it to throw a ``DataStoreError`` with `code`; returns the error.
@discardableResult
func expectDataStoreError(
    _ code: DataStoreError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> DataStoreError? {
    do {
        try await body()
        Issue.record("expected DataStoreError.\(code), but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as DataStoreError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected DataStoreError.\(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A blog with posts and comments: `posts` posts rated 1…posts, each with `comments` comments.
struct Fixture {
    let blog: Blog
    let posts: [Post]
    let comments: [Comment]

    static func make(
        in store: DataStore,
        name: String = "blog",
        posts postCount: Int = 3,
        comments commentCount: Int = 2
    ) async throws -> Fixture {
        let blog = try await store.save(Blog(name: name))
        var posts: [Post] = []
        var comments: [Comment] = []
        for rating in 1...max(postCount, 1) where postCount > 0 {
            let post = try await store.save(Post(blog: blog, title: "\(name) post \(rating)", rating: rating))
            posts.append(post)
            for index in 0..<commentCount {
                comments.append(try await store.save(Comment(post: post, content: "\(post.title) comment \(index)")))
            }
        }
        return Fixture(blog: blog, posts: posts, comments: comments)
    }
}

extension Sequence where Element: Model {
    /// The models' identifiers as text, sorted: for order-independent comparisons.
    var keys: [String] { map { ModelKey(of: $0).description }.sorted() }
}

/// The relation models' `Comment` (GRDB, visible through `@testable import DataStore`, has one too).
typealias Comment = RelationModels.Comment
