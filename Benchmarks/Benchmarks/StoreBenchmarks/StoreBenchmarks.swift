import Benchmark
import DataStore
import Foundation
import GRDB
import Synchronization

// Each DataStore benchmark has a twin doing the same work with raw SQLite: GRDB statements on a
// DatabasePool (WAL) with the PRAGMAs DataStore uses, on a database whose tables DataStore itself
// created, decoding into the same structs. Compare the medians of each pair: ratio = raw / DataStore.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(4),
        maxIterations: 100_000
    )

    // MARK: Single save, one transaction each

    measure("save single: DataStore") { benchmark, fixture in
        for _ in benchmark.scaledIterations {
            try await fixture.store.save(BenchPost.make(fixture.nextID()))
        }
    }

    measure("save single: raw SQLite") { benchmark, fixture in
        for _ in benchmark.scaledIterations {
            try fixture.rawSave(BenchPost.make(fixture.nextID()))
        }
    }

    measure("save single: raw SQLite, GRDB async") { benchmark, fixture in
        for _ in benchmark.scaledIterations {
            let arguments = BenchPost.make(fixture.nextID()).rawArguments
            try await fixture.raw.write { db in
                try db.cachedStatement(sql: BenchPost.insertSQL).execute(arguments: arguments)
            }
        }
    }

    // MARK: Batch save of 10,000 in one transaction

    let batchConfiguration = Benchmark.Configuration(maxDuration: .seconds(6), maxIterations: 30)

    measure("save batch 10k: DataStore", configuration: batchConfiguration) { benchmark, fixture in
        for iteration in benchmark.scaledIterations {
            let posts = (0..<10_000).map { BenchPost.make($0, prefix: "b\(iteration)-") }
            benchmark.startMeasurement()
            try await fixture.store.save(posts)
            benchmark.stopMeasurement()
            try await fixture.store.delete(BenchPost.self, where: .all)
        }
    }

    measure("save batch 10k: raw SQLite", configuration: batchConfiguration) { benchmark, fixture in
        for iteration in benchmark.scaledIterations {
            let posts = (0..<10_000).map { BenchPost.make($0, prefix: "b\(iteration)-") }
            benchmark.startMeasurement()
            try fixture.rawSave(posts)
            benchmark.stopMeasurement()
            try fixture.rawDeleteAll()
        }
    }

    // MARK: Query 1,000 of 100,000 rows by an indexed field

    measure("query 1k of 100k by index: DataStore", comments: 100_000) { benchmark, fixture in
        for iteration in benchmark.scaledIterations {
            let postID = "post\(iteration % 100)"
            let comments = try await fixture.store.query(BenchComment.self, where: \.postID == postID)
            precondition(comments.count == 1_000)
            blackHole(comments)
        }
    }

    measure("query 1k of 100k by index: raw SQLite", comments: 100_000) { benchmark, fixture in
        for iteration in benchmark.scaledIterations {
            let comments = try fixture.rawComments(postID: "post\(iteration % 100)")
            precondition(comments.count == 1_000)
            blackHole(comments)
        }
    }

    // MARK: Load a post's 100 comments, out of 100,000, through the relation

    measure("load 100 of 100k by relation: DataStore", comments: 100_000, commentsPerPost: 100) { benchmark, fixture in
        for iteration in benchmark.scaledIterations {
            // The post is at hand (from an earlier query); loading its comments is measured.
            let post = try await fixture.store.query(BenchPost.self, byID: "post\(iteration % 1_000)")!
            benchmark.startMeasurement()
            let comments = try await post.comments.fetch()
            benchmark.stopMeasurement()
            precondition(comments.count == 100)
            blackHole(comments)
        }
    }

    measure("load 100 of 100k by relation: raw SQLite", comments: 100_000, commentsPerPost: 100) { benchmark, fixture in
        for iteration in benchmark.scaledIterations {
            let comments = try fixture.rawComments(postID: "post\(iteration % 1_000)")
            precondition(comments.count == 100)
            blackHole(comments)
        }
    }

    measure("load 100 of 100k by relation: raw SQLite, GRDB async", comments: 100_000, commentsPerPost: 100) {
        benchmark,
        fixture in
        for iteration in benchmark.scaledIterations {
            let postID = "post\(iteration % 1_000)"
            let comments = try await fixture.raw.read { db in try Fixture.comments(db, postID: postID) }
            precondition(comments.count == 100)
            blackHole(comments)
        }
    }

    // MARK: Fetch and decode 100,000 rows

    let fetchConfiguration = Benchmark.Configuration(maxDuration: .seconds(6), maxIterations: 40)

    measure("fetch+decode 100k: DataStore", configuration: fetchConfiguration, posts: 100_000) { benchmark, fixture in
        for _ in benchmark.scaledIterations {
            let posts = try await fixture.store.query(BenchPost.self)
            precondition(posts.count == 100_000)
            blackHole(posts)
        }
    }

    measure("fetch+decode 100k: raw SQLite", configuration: fetchConfiguration, posts: 100_000) { benchmark, fixture in
        for _ in benchmark.scaledIterations {
            let posts = try fixture.rawAllPosts()
            precondition(posts.count == 100_000)
            blackHole(posts)
        }
    }
}

/// Declares a benchmark whose iterations get a fresh ``Fixture`` with `posts` posts and `comments`
/// comments (`commentsPerPost` on each of the posts `post0`, `post1`, … they name; those posts
/// are stored too when there are no other posts), removed afterwards.
func measure(
    _ name: String,
    configuration: Benchmark.Configuration = Benchmark.defaultConfiguration,
    posts: Int = 0,
    comments: Int = 0,
    commentsPerPost: Int = 1_000,
    _ body: @escaping (Benchmark, Fixture) async throws -> Void
) {
    Benchmark(
        name,
        configuration: configuration,
        closure: body,
        setup: { try await Fixture.make(posts: posts, comments: comments, commentsPerPost: commentsPerPost) },
        teardown: { await Fixture.cleanUp() }
    )
}

/// A DataStore and a raw GRDB pool on two files with identical schemas and contents.
struct Fixture: Sendable {
    let store: DataStore
    let raw: DatabasePool
    /// Numbers new rows, so that every single save is an insert, across warm-up and measured runs.
    let counter = Counter()

    static let directory = FileManager.default.temporaryDirectory.appending(path: "datastore-benchmarks")

    static func make(posts: Int = 0, comments: Int = 0, commentsPerPost: Int = 1_000) async throws -> Fixture {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let models: [any Model.Type] = [BenchPost.self, BenchComment.self]
        let rawPath = directory.appending(path: "raw.sqlite")
        // DataStore creates the raw database's tables, so that both sides have the same schema.
        let creator = try await DataStore(models: models, storage: .file(at: rawPath))
        await creator.close()
        let store = try await DataStore(models: models, storage: .file(at: directory.appending(path: "store.sqlite")))
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let raw = try DatabasePool(path: rawPath.path, configuration: configuration)
        let fixture = Fixture(store: store, raw: raw)
        if posts > 0 {
            let all = (0..<posts).map { BenchPost.make($0) }
            try await store.save(all)
            try fixture.rawSave(all)
        }
        if comments > 0 {
            let postCount = comments / commentsPerPost
            if posts == 0 {
                let parents = (0..<postCount).map { BenchPost.make($0, prefix: "post") }
                try await store.save(parents)
                try fixture.rawSave(parents)
            }
            let all = (0..<comments).map {
                BenchComment(id: "c\($0)", postID: "post\($0 % postCount)", content: "Comment \($0) on a post")
            }
            try await store.save(all)
            try await raw.write { db in
                let statement = try db.cachedStatement(
                    sql: "INSERT INTO \"Comment\" (\"id\",\"postID\",\"content\") VALUES (?,?,?)"
                )
                for comment in all { try statement.execute(arguments: [comment.id, comment.postID, comment.content]) }
            }
        }
        return fixture
    }

    static func cleanUp() async {
        try? FileManager.default.removeItem(at: directory)
    }

    func nextID() -> Int { counter.next() }

    func rawSave(_ post: BenchPost) throws {
        let arguments = post.rawArguments
        try raw.write { db in try db.cachedStatement(sql: BenchPost.insertSQL).execute(arguments: arguments) }
    }

    func rawSave(_ posts: [BenchPost]) throws {
        try raw.write { db in
            let statement = try db.cachedStatement(sql: BenchPost.insertSQL)
            for post in posts { try statement.execute(arguments: post.rawArguments) }
        }
    }

    func rawDeleteAll() throws {
        try raw.write { db in try db.execute(sql: "DELETE FROM \"Post\"") }
    }

    func rawComments(postID: String) throws -> [BenchComment] {
        try raw.read { db in try Fixture.comments(db, postID: postID) }
    }

    static func comments(_ db: Database, postID: String) throws -> [BenchComment] {
        let statement = try db.cachedStatement(
            sql: "SELECT \"id\",\"postID\",\"content\" FROM \"Comment\" WHERE \"postID\" = ?"
        )
        let rows = try Row.fetchCursor(statement, arguments: [postID])
        var comments: [BenchComment] = []
        while let row = try rows.next() { comments.append(BenchComment(row: row)) }
        return comments
    }

    func rawAllPosts() throws -> [BenchPost] {
        try raw.read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT \"id\",\"title\",\"rating\",\"status\",\"createdAt\" FROM \"Post\""
            )
            let rows = try Row.fetchCursor(statement)
            var posts: [BenchPost] = []
            while let row = try rows.next() { posts.append(try BenchPost(row: row)) }
            return posts
        }
    }
}

final class Counter: Sendable {
    private let value = Mutex(1_000_000)
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
