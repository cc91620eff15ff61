import DataStore
import DataStoreAppSync
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import DataStoreServer

@Suite("PostgreSQL store")
struct PostgresStoreTests {
    static let enabled = ServerStoreKind.postgresURL != nil

    @Test("connection URLs are read, and bad ones refused with what is wrong")
    func urls() throws {
        let configuration = try PostgresItemStore.Configuration(
            url: "postgresql://app%40team:p%2Fss@db.example.com:6543/inventory?schema=tenant_1&sslmode=require"
        )
        #expect(configuration.username == "app@team" && configuration.password == "p/ss")
        #expect(configuration.host == "db.example.com" && configuration.port == 6543)
        #expect(configuration.database == "inventory" && configuration.schema == "tenant_1")
        #expect(configuration.sslMode == "require")
        let defaults = try PostgresItemStore.Configuration(url: "postgres://localhost")
        #expect(defaults.port == 5432 && defaults.schema == "datastore" && defaults.database == nil)

        let bad = [
            ("mysql://root:secret@localhost/db", "not a PostgreSQL URL"),
            ("postgres://root:secret@localhost/db?schema=bad-name", "schema name bad-name"),
            ("postgres://root:secret@localhost/db?schema=x;drop", "schema name"),
            ("postgres://root:secret@localhost/db?sslmode=maybe", "sslmode"),
            ("postgres://root:secret@localhost/db?colour=red", "unknown parameter colour"),
            ("postgres://root:secret@localhost/db?max_connections=1", "max_connections"),
        ]
        for (url, expected) in bad {
            #expect {
                try PostgresItemStore.Configuration(url: url)
            } throws: { error in
                let message = (error as? AppSyncError)?.message ?? ""
                return message.contains(expected) && !message.contains("secret")
            }
        }
    }

    @Test("a server that cannot be reached is a typed error, not a hang")
    func unreachable() async throws {
        var configuration = PostgresItemStore.Configuration(host: "127.0.0.1", port: 1, sslMode: "disable")
        configuration.database = "nothing"
        await #expect {
            // Its connection attempts are logged at info; the test needs only the error.
            var quiet = Logger(label: "unreachable")
            quiet.logLevel = .critical
            try await PostgresItemStore.withStore(configuration, timeout: .seconds(3), logger: quiet) { _ in }
        } throws: { error in
            (error as? AppSyncError)?.errorType == .internalFailure
                && (error as? AppSyncError)?.message.contains("127.0.0.1:1") == true
        }
    }

    @Test("a log read waits for the writes in flight, so it never skips an earlier position", .enabled(if: enabled))
    func readsWaitForWrites() async throws {
        try await withServerStore(.postgres) { store in
            let postgres = try #require(store as? PostgresItemStore)
            let settings = try PostgresItemStore.Configuration(url: try #require(ServerStoreKind.postgresURL))
            let client = PostgresClient(
                configuration: .init(
                    host: settings.host,
                    port: settings.port,
                    username: settings.username,
                    password: settings.password,
                    database: settings.database,
                    tls: .disable
                )
            )
            let logger = Logger(label: "test")
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await client.run() }
                try await client.withConnection { connection in
                    // A write in flight, as the store makes them: it holds the shared log lock and
                    // took the next position, and has not committed.
                    try await connection.query("BEGIN", logger: logger)
                    let lock = PostgresItemStore.lockKey("datastore-server log \(postgres.schema)")
                    try await connection.query("SELECT pg_advisory_xact_lock_shared(\(lock))", logger: logger)
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL: """
                                INSERT INTO "\(postgres.schema)".changes (model, key, fields, version, deleted, last_changed_at)
                                VALUES ('Post', 'early', '{"id":"early"}', 1, false, 1)
                                """
                        ),
                        logger: logger
                    )
                    // A later position commits first.
                    let late = StoredItem(fields: ["id": "late"], version: 1, isDeleted: false, lastChangedAt: 2)
                    #expect(try await store.commit("Post", key: "late", expecting: nil, item: late))
                    async let read = store.log(after: 0, limit: 10)
                    // The reader waits for the lock: PostgreSQL shows its request (each look is a
                    // round trip, so the loop is paced by the server, not by sleeping) ...
                    var waiting = false
                    for _ in 0..<5_000 where !waiting {
                        let rows = try await connection.query(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                            logger: logger
                        )
                        for try await count in rows.decode(Int64.self) { waiting = count > 0 }
                    }
                    #expect(waiting)
                    // ... and reads both, in position order, once the earlier write commits.
                    try await connection.query("COMMIT", logger: logger)
                    #expect(try await read.map { $0.item.fields["id"] } == ["early", "late"])
                }
                group.cancelAll()
            }
        }
    }

    @Test("a restart on the same schema finds the items, the log and the token key", .enabled(if: enabled))
    func restart() async throws {
        let item = StoredItem(fields: ["id": "p"], version: 1, isDeleted: false, lastChangedAt: 1)
        let (schema, secret) = try await withPostgresStore { first in
            #expect(try await first.commit("Post", key: "p", expecting: nil, item: item))
            return (first.schema, try first.tokenSecret)
        }
        try await withPostgresStore(schema: schema) { second in
            #expect(try second.tokenSecret == secret)
            #expect(try await second.item("Post", key: "p") == item)
            #expect(try await second.log(after: 0, limit: 10).count == 1)
            try await second.dropSchema()
        }
    }

    @Test("servers sharing a database publish each other's writes to their subscribers", .enabled(if: enabled))
    func sharedDatabase() async throws {
        try await withPostgresStore { storeA in
            try await withPostgresStore(schema: storeA.schema) { storeB in
                try await Self.shareDatabase(storeA, storeB)
                try await storeA.dropSchema()
            }
        }
    }

    /// Two servers on the same database.
    static func shareDatabase(_ storeA: PostgresItemStore, _ storeB: PostgresItemStore) async throws {
        try await withTestServer(schema: testSchema, store: storeA) { serverA in
            try await withTestServer(schema: testSchema, store: storeB) { serverB in
                try await withConnectedClient(serverB) { client in
                    #expect(try await client.start("1", onCreatePost)?["type"] == "start_ack")
                    let created = try await postGraphQL(
                        serverA,
                        "mutation { createPost(input: {id: \"shared\", title: \"Via A\"}) { id _version } }"
                    )
                    #expect(created["data"]?["createPost"]?["_version"] == 1)
                    let event = try await client.nextEvent()
                    #expect(event?["payload"]?["data"]?["onCreatePost"]?["title"] == "Via A")
                    let synced = try await postGraphQL(serverB, "query { syncPosts { items { id } } }")
                    #expect(synced["data"]?["syncPosts"]?["items"] == [["id": "shared"]])
                }
            }
        }
    }
}
