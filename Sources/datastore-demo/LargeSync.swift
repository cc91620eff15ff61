import BlogModels
import DataStore
import DataStoreServer
import DataStoreServerTesting
import DataStoreSync
import Foundation

/// `--records N`: a server holding N posts, and a fresh store's base sync of them, with a progress
/// bar and the throughput.
struct LargeSync {
    let out: Narrator
    let records: Int

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "datastore-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let items = try SQLiteItemStore(path: directory.appending(path: "server.sqlite").path)
        let (out, records) = (out, records)
        do {
            try await withTestServer(schema: BlogSchema.sdl, store: items) { server in
                try await Self.sync(records, server, directory, out)
            }
            await items.close()
        } catch {
            await items.close()
            throw error
        }
    }

    private static func sync(_ records: Int, _ server: TestServer, _ directory: URL, _ out: Narrator) async throws {
        out.section("Filling the server with \(records) posts")
        let written = Locked(0)
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for index in stride(from: writer, to: records, by: 8) {
                        _ = try await server.dataSource.create(
                            "Post",
                            input: [
                                "id": .string("post-\(index)"), "title": .string("Post number \(index)"),
                                "rating": .int(index % 10), "status": index % 3 == 0 ? "INACTIVE" : "ACTIVE",
                            ]
                        )
                        written.withLock { $0 += 1 }
                    }
                }
            }
            group.addTask {
                var shown = 0
                while !Task.isCancelled {
                    let done = written.withLock { $0 }
                    out.progress(done, of: records, lastShown: &shown)
                    if done >= records { return }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            try await group.waitForAll()
        }
        out.note("written in \(seconds(ContinuousClock.now - started)) s")

        out.section("A new phone syncs them")
        var configuration = SyncConfiguration()
        configuration.maxRecordsToSync = max(records, 10_000)
        let phone = try await SyncedStore(
            models: AppModels.self,
            storage: .file(at: directory.appending(path: "phone.sqlite")),
            endpoint: URL(string: server.endpoint)!,
            authorization: .apiKey(server.apiKey),
            configuration: configuration
        )
        do {
            let ready = expect(phone, "the base sync", seconds: 3_600) { $0 == .ready }
            let start = ContinuousClock.now
            await phone.start()
            // The bar follows the store's count while the sync's pages land.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await ready() }
                group.addTask {
                    var shown = 0
                    while !Task.isCancelled {
                        let count = try await phone.store.count(Post.self)
                        out.progress(count, of: records, lastShown: &shown)
                        if count >= records { return }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                try await group.next()
                try await group.next()
            }
            let elapsed = ContinuousClock.now - start
            let count = try await phone.store.count(Post.self)
            let perSecond =
                Double(count)
                / max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-9)
            out.passed("\(count) posts synced in \(seconds(elapsed)) s: \(Int(perSecond)) records/s")
            let best = try await phone.store.query(
                Post.self,
                where: \.rating >= 9,
                sort: .ascending(\.title),
                page: .first(3)
            )
            out.note("a query on the phone, rating ≥ 9, first 3 by title: " + best.map(\.title).joined(separator: ", "))
            await phone.close()
            if count != records { throw DemoError("the phone has \(count) posts, the server \(records)") }
        } catch {
            await phone.close()
            throw error
        }
    }
}

func seconds(_ duration: Duration) -> String {
    String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
}
