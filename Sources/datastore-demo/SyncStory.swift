import BlogModels
import DataStore
import DataStoreServer
import DataStoreServerTesting
import DataStoreSync
import DataStoreSyncTesting
import Foundation

/// Why the demo stopped.
struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, or throws when it takes longer than `seconds`: the demo never hangs.
func within<T: Sendable>(
    _ seconds: Int,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DemoError("gave up after \(seconds) s waiting for \(what)")
        }
        return value
    }
}

/// Starts listening to `synced`'s events now; the function returned waits for the first that
/// matches (up to `seconds`).
func expect(
    _ synced: SyncedStore,
    _ what: String,
    seconds: Int = 20,
    _ matches: @escaping @Sendable (SyncEvent) -> Bool
) -> @Sendable () async throws -> SyncEvent {
    let events = synced.events
    return {
        try await within(seconds, what) {
            for await event in events where matches(event) { return event }
            throw DemoError("the events ended before \(what)")
        }
    }
}

/// Waits (up to 20 s) until `condition` holds for `store`, looking again after each change of `M`.
func until<M: Model>(
    _ store: DataStore,
    _ type: M.Type,
    _ what: String,
    _ condition: @escaping @Sendable (DataStore) async throws -> Bool
) async throws {
    let changes = store.observe(type)
    do {
        try await within(20, what) {
            var arrived = changes.makeAsyncIterator()
            while try await !condition(store) {
                guard try await arrived.next() != nil else { throw DemoError("the store closed before \(what)") }
            }
        }
    } catch {
        // Said for a bug report: whether the store got there without telling its observer.
        let now = try? await condition(store)
        throw DemoError("\(error) (and now it \(now == true ? "does" : "does not"))")
    }
}

/// The sync story: a server, a laptop and a phone, told step by step; true when both devices end
/// equal to the server.
struct SyncStory {
    let out: Narrator

    func run() async throws -> Bool {
        let directory = FileManager.default.temporaryDirectory.appending(path: "datastore-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = ServerConfiguration()
        configuration.strategies = ["Comment": .optimisticConcurrency]
        let items = try SQLiteItemStore(path: directory.appending(path: "server.sqlite").path)
        let out = out
        do {
            let converged = try await withTestServer(schema: BlogSchema.sdl, configuration: configuration, store: items)
            {
                server in
                try await withFaultProxy(port: server.port) { proxy in
                    try await Chapters(out: out, server: server, proxy: proxy, directory: directory).tell()
                }
            }
            await items.close()
            return converged
        } catch {
            await items.close()
            throw error
        }
    }
}

/// The story's steps, with the server, the proxy in front of the phone, and the two devices.
struct Chapters {
    let out: Narrator
    let server: TestServer
    let proxy: FaultProxy
    let directory: URL

    /// A device's store, syncing with `endpoint`.
    func device(_ name: String, endpoint: String) async throws -> SyncedStore {
        var configuration = SyncConfiguration()
        // A demo's outages last seconds: short back-offs and probes.
        configuration.retryPolicy = RetryPolicy(initialDelay: .milliseconds(50), maximumDelay: .seconds(2))
        configuration.reachabilityProbes = RetryPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1))
        let out = out
        configuration.conflictHandler = { conflict in
            // Comments resolve by keeping both texts; anything else takes the server's copy.
            guard var local = conflict.local as? Comment, let remote = conflict.remote as? Comment,
                conflict.attempt <= 3
            else { return .applyRemote }
            local.content = "\(remote.content) + \(local.content)"
            out.device(
                name,
                "conflictHandler: the server has \"\(remote.content)\"; sending \"\(local.content)\" over it"
            )
            return .retry(local)
        }
        configuration.errorHandler = { error in out.device(name, "error handler: \(error)") }
        return try await SyncedStore(
            models: AppModels.self,
            storage: .file(at: directory.appending(path: "\(name).sqlite")),
            endpoint: URL(string: endpoint)!,
            authorization: .apiKey(server.apiKey),
            configuration: configuration
        )
    }

    func tell() async throws -> Bool {
        out.section("1. A server and two devices")
        out.say("datastore-server runs in this process on \(server.endpoint), on a SQLite file;")
        out.say("posts resolve conflicts by AUTOMERGE, comments by optimistic concurrency.")
        out.say("The laptop talks to it directly; the phone through a proxy this demo can unplug.")
        let laptop = try await device("laptop", endpoint: server.endpoint)
        let phone = try await device("phone", endpoint: proxy.endpoint())
        do {
            let converged = try await chapters(laptop, phone)
            await laptop.close()
            await phone.close()
            return converged
        } catch {
            await laptop.close()
            await phone.close()
            throw error
        }
    }

    private func chapters(_ laptop: SyncedStore, _ phone: SyncedStore) async throws -> Bool {
        for (name, synced) in [("laptop", laptop), ("phone", phone)] {
            let ready = expect(synced, "\(name) ready") { $0 == .ready }
            await synced.start()
            _ = try await ready()
            out.device(name, "subscribed to changes, synced, ready")
        }

        out.section("2. A save on the laptop appears on the phone")
        var post = Post(id: "hello", title: "Hello from the laptop", rating: 3, status: .active)
        let arrival = phone.store.observe(Post.self)
        let sent = ContinuousClock.now
        try await laptop.store.save(post)
        out.device("laptop", "saved \"\(post.title)\"")
        let change = try await within(20, "the post on the phone") {
            for try await change in arrival where change.model.id == "hello" { return change }
            throw DemoError("the phone's store closed")
        }
        out.device(
            "phone",
            "received \"\(change.model.title)\" through its subscription, \(milliseconds(ContinuousClock.now - sent)) ms later"
        )

        out.section("3. The phone goes offline and edits; so does the laptop")
        let offline = expect(phone, "the phone offline") { $0 == .networkStatus(isActive: false) }
        proxy.refuseConnections()
        proxy.drop()
        _ = try await offline()
        out.device("phone", "offline: its connections were reset, new ones are refused")
        var phoneCopy = try await phone.store.query(Post.self, byID: "hello") ?? post
        phoneCopy.title = "Hello from the phone, written offline"
        try await phone.store.save(phoneCopy)
        let waiting = try await phone.pendingMutationCount()
        out.device("phone", "changed the title; \(waiting) write waits in its outbox")
        post.rating = 5
        try await save(post, on: laptop)
        out.device("laptop", "changed the rating to 5; the server has it")

        out.section("4. The phone reconnects: AUTOMERGE settles the conflict on the server")
        let online = expect(phone, "the phone online") { $0 == .networkStatus(isActive: true) }
        let drained = expect(phone, "the phone's outbox to empty") { $0 == .outboxStatus(isEmpty: true) }
        proxy.heal()
        _ = try await online()
        out.device("phone", "online again")
        _ = try await drained()
        let merged = try await serverPost("hello")
        out.device("phone", "sent its edit, made over version 1; the server had version 2")
        out.say(
            "  AUTOMERGE merged it into version \(merged?.version ?? 0): the server's value wins for every field both"
        )
        out.say("  copies have (AppSync's rule: a stale write's scalar edits are dropped; lists would be joined).")
        try await until(laptop.store, Post.self, "the laptop to hold the merge") { store in
            try await store.query(Post.self, byID: "hello")?.title == merged?.title
        }
        try await until(phone.store, Post.self, "the phone to hold the merge") { store in
            try await store.query(Post.self, byID: "hello")?.rating == merged?.rating
        }
        for (name, synced) in [("laptop", laptop), ("phone", phone)] {
            if let copy = try await synced.store.query(Post.self, byID: "hello") {
                out.device(name, "\"\(copy.title)\", rating \(copy.rating)")
            }
        }
        out.say("To decide such conflicts in the app instead, a model uses optimistic concurrency:")

        out.section("5. A conflict the app decides: comments, with a conflictHandler")
        let comment = Comment(id: "first", postID: "hello", content: "Nice post")
        try await save(comment, on: laptop)
        try await until(phone.store, Comment.self, "the comment on the phone") { store in
            try await store.query(Comment.self, byID: "first") != nil
        }
        out.device("phone", "has the laptop's comment \"Nice post\"")
        let offlineAgain = expect(phone, "the phone offline") { $0 == .networkStatus(isActive: false) }
        proxy.refuseConnections()
        proxy.drop()
        _ = try await offlineAgain()
        out.device("phone", "offline again")
        var phoneComment = comment
        phoneComment.content = "Agreed (from the phone)"
        try await phone.store.save(phoneComment)
        out.device("phone", "edited the comment: \"\(phoneComment.content)\"")
        var laptopComment = comment
        laptopComment.content = "Nice post, edited"
        try await save(laptopComment, on: laptop)
        out.device("laptop", "edited it too: \"\(laptopComment.content)\"")
        let resolved = expect(phone, "the phone's outbox to empty") { $0 == .outboxStatus(isEmpty: true) }
        proxy.heal()
        _ = try await resolved()
        let final = try await serverComment("first")
        try await until(laptop.store, Comment.self, "the laptop to hold the resolution") { store in
            try await store.query(Comment.self, byID: "first")?.content == final
        }
        out.device("laptop", "now has \"\(final ?? "?")\"")

        out.section("6. Predicates and live query snapshots")
        let snapshots = phone.store.observeQuery(Post.self, where: \.rating >= 4, sort: .descending(\.rating))
        try await laptop.store.save([
            Post(id: "swift", title: "Swift on the server", rating: 4, status: .active),
            Post(id: "sqlite", title: "Notes on SQLite", rating: 2, status: .active),
            Post(id: "actors", title: "Swift actors", rating: 5, status: .inactive),
        ])
        out.device("laptop", "saved three posts rated 4, 2 and 5")
        let out = out
        try await within(20, "the phone's snapshot of posts rated 4 or more") {
            for try await snapshot in snapshots {
                out.device(
                    "phone",
                    "rating ≥ 4, best first: "
                        + snapshot.items.map { "\($0.title) (\($0.rating))" }.joined(separator: ", ")
                )
                if snapshot.items.count == 3 { return }
            }
        }
        let swift = try await phone.store.query(Post.self, sort: .ascending(\.title)) {
            QueryPredicate.beginsWith(\.title, "Swift")
            \.status == .active
        }
        out.device(
            "phone",
            "active posts whose title begins with \"Swift\": " + swift.map(\.title).joined(separator: ", ")
        )

        out.section("7. Deleting a post deletes its comments, everywhere")
        let deleted = try await laptop.store.delete(Post.self, byID: "hello")
        let gone = try await laptop.store.query(Comment.self, where: \.postID == "hello").isEmpty
        out.device("laptop", "deleted \"\(deleted?.title ?? "?")\"; its comments are gone too: \(gone)")
        try await drain(laptop)
        try await until(phone.store, Comment.self, "the phone to lose the comment") { store in
            try await store.query(Comment.self, byID: "first") == nil
        }
        try await until(phone.store, Post.self, "the phone to lose the post") { store in
            try await store.query(Post.self, byID: "hello") == nil
        }
        out.device("phone", "the post and its comment are gone")

        out.section("8. Both devices equal the server")
        return try await compare([("laptop", laptop), ("phone", phone)])
    }

    /// Saves on a device and waits until the backend has it.
    private func save<M: Model>(_ model: M, on synced: SyncedStore) async throws {
        try await synced.store.save(model)
        try await drain(synced)
    }

    /// Waits until every write of the device reached the backend.
    private func drain(_ synced: SyncedStore) async throws {
        // Listening before looking: an outbox that empties in between is still heard.
        let drained = expect(synced, "the outbox to empty") { $0 == .outboxStatus(isEmpty: true) }
        if try await synced.pendingMutationCount() == 0 { return }
        _ = try await drained()
    }

    private func serverPost(_ id: String) async throws -> (title: String, rating: Int, version: Int)? {
        guard case .object(let item)? = try await server.dataSource.get("Post", key: ["id": .string(id)]),
            case .string(let title)? = item["title"], case .int(let rating)? = item["rating"],
            case .int(let version)? = item["_version"]
        else { return nil }
        return (title, rating, version)
    }

    private func serverComment(_ id: String) async throws -> String? {
        guard case .object(let item)? = try await server.dataSource.get("Comment", key: ["id": .string(id)]),
            case .string(let content)? = item["content"]
        else { return nil }
        return content
    }

    /// Whether every device holds exactly the server's live posts and comments, at the server's
    /// versions; says so, with the differences.
    private func compare(_ devices: [(String, SyncedStore)]) async throws -> Bool {
        var equal = true
        for model in ["Post", "Comment"] {
            let expected = try await serverRecords(model)
            for (name, synced) in devices {
                let held = try await localRecords(model, synced)
                if held == expected {
                    out.passed("\(name): \(held.count) \(model.lowercased())s, the server's, at its versions")
                } else {
                    equal = false
                    out.failed("\(name)'s \(model.lowercased())s differ from the server's")
                    out.note("server: \(expected.sorted { $0.key < $1.key })")
                    out.note("\(name): \(held.sorted { $0.key < $1.key })")
                }
            }
        }
        return equal
    }

    /// The server's live records of `model`: id → (text of its fields, version).
    private func serverRecords(_ model: String) async throws -> [String: String] {
        var records: [String: String] = [:]
        var token: String?
        repeat {
            let page = try await server.dataSource.sync(model, limit: 1_000, nextToken: token)
            for case .object(let item) in page.items where item["_deleted"] != .bool(true) {
                guard case .string(let id)? = item["id"], case .int(let version)? = item["_version"] else { continue }
                records[id] = Self.describe(model, item) + " v\(version)"
            }
            token = page.nextToken
        } while token != nil
        return records
    }

    private func localRecords(_ model: String, _ synced: SyncedStore) async throws -> [String: String] {
        var records: [String: String] = [:]
        let values: [(String, [String: FieldValue])] =
            model == "Post"
            ? try await synced.store.query(Post.self).map {
                ($0.id, ["title": .string($0.title), "rating": .int($0.rating), "status": .string($0.status.rawValue)])
            }
            : try await synced.store.query(Comment.self).map {
                ($0.id, ["postID": .string($0.postID), "content": .string($0.content)])
            }
        for (id, fields) in values {
            let version = try await synced.store.engine.remoteState(model: model, modelID: id)?.version ?? 0
            records[id] = Self.describe(model, fields) + " v\(version)"
        }
        return records
    }

    private static func describe(_ model: String, _ fields: [String: FieldValue]) -> String {
        let names = model == "Post" ? ["title", "rating", "status"] : ["postID", "content"]
        return names.map { "\($0)=\(fields[$0].map { "\($0)" } ?? "nil")" }.joined(separator: " ")
    }
}

func milliseconds(_ duration: Duration) -> String {
    String(format: "%.1f", Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15)
}
