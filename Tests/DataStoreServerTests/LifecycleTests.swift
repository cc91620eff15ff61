import DataStore
import DataStoreSchema
import DataStoreServerTesting
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import HTTPTypes
import Logging
import NIOWebSocket
import ServiceLifecycle
import Testing
import WSCore

@testable import DataStoreServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("Server lifecycle")
struct LifecycleTests {
    @Test("graceful shutdown (SIGTERM) finishes the request in flight, closes sockets, and a restart loses nothing")
    func drain() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("server.sqlite").path
        let inHandler = Gate(open: false)
        let release = Gate(open: false)
        var configuration = ServerConfiguration()
        // A conflict handler that holds its mutation in flight until the test releases it.
        configuration.defaultStrategy = .custom { request in
            inHandler.open()
            await release.pass()
            return .resolve(request.newItem)
        }
        let store = try SQLiteItemStore(path: path)
        let dataSource = DataSource(
            document: try SchemaParser.parse(testSchema),
            store: store,
            configuration: configuration
        )
        var options = ServerOptions()
        options.port = 0
        options.apiKeys = [APIKey("da2-key")]
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))
        var logger = Logger(label: "lifecycle-test")
        logger.logLevel = .warning
        let application = ServerApplication(
            api: try GraphQLAPI(dataSource: dataSource),
            options: options,
            logger: logger
        )
        .makeApplication { port in portContinuation.yield(port) }
        let services = ServiceGroup(
            configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger)
        )
        let post = try await dataSource.create("Post", input: ["title": "Draft"])

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let closeFrame: WebSocketCloseFrame? = try await withRealtimeClient(
                "ws://127.0.0.1:\(port)/graphql/realtime",
                headers: [.secWebSocketProtocol: "graphql-ws", .init("x-api-key")!: "da2-key"]
            ) { (client: RealtimeClient) async throws -> WebSocketCloseFrame? in
                #expect(try await client.initialize()?["type"] == "connection_ack")
                #expect(try await client.start("u", "subscription { onUpdatePost { title } }")?["type"] == "start_ack")
                // A stale update: the conflict handler holds it.
                async let response = postGraphQL(
                    "http://127.0.0.1:\(port)/graphql",
                    apiKey: "da2-key",
                    "mutation($input: UpdatePostInput!) { updatePost(input: $input) { title _version } }",
                    variables: ["input": ["id": post["id"]!, "title": "Final", "_version": 0]]
                )
                await inHandler.pass()
                await services.triggerGracefulShutdown()
                release.open()
                // The request in flight completes; the socket is closed cleanly (the client
                // syncs when it reconnects).
                #expect(try await response == ["data": ["updatePost": ["title": "Final", "_version": 2]]])
                return await client.closed()
            }
            #expect(closeFrame?.closeCode == .normalClosure)
            try await group.waitForAll()
        }
        await store.close()

        // A restart on the same file has everything.
        let reopened = try SQLiteItemStore(path: path)
        let restarted = DataSource(document: try SchemaParser.parse(testSchema), store: reopened)
        let stored = try await restarted.get("Post", key: ["id": post["id"]!])
        #expect(stored?["title"] == "Final")
        #expect(stored?["_version"] == 2)
        await reopened.close()
    }

    @Test("expired tombstones and delta records are purged every purge interval on the injected clock")
    func periodicPurge() async throws {
        let clock = ManualClock()
        var configuration = ServerConfiguration()
        configuration.clock = clock
        var options = ServerOptions()
        options.purgeInterval = .seconds(60)
        try await withTestServer(schema: testSchema, configuration: configuration, options: options) { server in
            let dataSource = server.dataSource
            let post = try await dataSource.create("Post", input: ["title": "Gone soon"])
            _ = try await dataSource.delete("Post", input: ["id": post["id"]!, "_version": 1])
            #expect(try await dataSource.get("Post", key: ["id": post["id"]!])?["_deleted"] == true)
            // The purge timer is asleep; 31 days later (its deadline long passed) it purges,
            // then sleeps one interval from the new time: once it does, the purge is done.
            await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(60)))
            clock.advance(by: .seconds(31 * 24 * 60 * 60))
            await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(60)))
            #expect(try await dataSource.get("Post", key: ["id": post["id"]!]) == nil)
            // The delta records (older than the delta TTL) went with it.
            #expect(try await dataSource.changes(after: 0, limit: 10).changes.isEmpty)
        }
    }
}
