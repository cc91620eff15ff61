// swift-tools-version:6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Corpus schemas compiled into modules by the plugin, for the generated-code round-trip tests.
let corpusModels = [
    "Scalars", "PrimaryKeys", "Embedded", "Relations", "V1Keys", "V1Connections", "Lists", "RealApp", "SwiftNames",
    "Recursive",
]

let package = Package(
    name: "swift-datastore",
    platforms: [.macOS(.v15), .iOS(.v18)],
    products: [
        .library(name: "DataStore", targets: ["DataStore"]),
        .library(name: "DataStoreAppSync", targets: ["DataStoreAppSync"]),
        .library(name: "DataStoreSync", targets: ["DataStoreSync"]),
        .library(name: "DataStoreSchema", targets: ["DataStoreSchema"]),
        .library(name: "DataStoreCodegen", targets: ["DataStoreCodegen"]),
        .executable(name: "datastore-modelgen", targets: ["datastore-modelgen"]),
        .executable(name: "datastore-demo", targets: ["datastore-demo"]),
        .library(name: "DataStoreServer", targets: ["DataStoreServer"]),
        .executable(name: "datastore-server", targets: ["datastore-server"]),
        .library(name: "DataStoreTesting", targets: ["DataStoreTesting"]),
        .library(name: "DataStoreServerTesting", targets: ["DataStoreServerTesting"]),
        .library(name: "DataStoreSyncTesting", targets: ["DataStoreSyncTesting"]),
        // The seed schema's models (the demo's), a product so that the benchmarks can sync them.
        .library(name: "BlogModels", targets: ["BlogModels"]),
        .plugin(name: "DataStoreModelGenPlugin", targets: ["DataStoreModelGenPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/GraphQLSwift/GraphQL", from: "4.3.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already in the graph through GraphQL; named here because its OrderedDictionary is GraphQL's map type.
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // Already in the graph through Hummingbird; named here for its header types.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // `swift package generate-documentation`: the DocC catalogs, built in Scripts/test.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // Already in the graph through Hummingbird; named for the tests' raw TCP client.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // The server's JWT verification (HS256, RS256, ES256 and JWK sets).
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        // Already in the graph through PostgresNIO and jwt-kit; named for the test token issuer.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .target(
            name: "DataStore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The wire protocol client and server share: network-free, no GraphQL executor.
        .target(
            name: "DataStoreAppSync",
            dependencies: ["DataStore"],
            swiftSettings: strictSettings
        ),
        // The client's sync with an AppSync backend: the outbox, conflicts, base and delta sync.
        // Never the server: an app that syncs links no Hummingbird server, PostgresNIO or
        // GraphQL executor.
        .target(
            name: "DataStoreSync",
            dependencies: [
                "DataStore",
                "DataStoreAppSync",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // GraphQL SDL -> ModelSchema, with Amplify's directives, and the schema version hash.
        .target(
            name: "DataStoreSchema",
            dependencies: [
                "DataStore",
                .product(name: "GraphQL", package: "GraphQL"),
            ],
            swiftSettings: strictSettings
        ),
        // glibc's malloc_trim, for giving memory back after bursts of requests.
        .target(name: "CMemoryTrim"),
        // The self-hostable AppSync-compatible backend.
        .target(
            name: "DataStoreServer",
            dependencies: [
                "CMemoryTrim",
                "DataStore",
                "DataStoreAppSync",
                "DataStoreSchema",
                .product(name: "GraphQL", package: "GraphQL"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: strictSettings
        ),
        // Client-side test support: a manual clock, temporary stores, seeded randomness. No server
        // and no networking in its dependency closure.
        .target(
            name: "DataStoreTesting",
            dependencies: ["DataStore"],
            swiftSettings: strictSettings
        ),
        // Client-side network test support: a fault-injecting TCP proxy for synced stores' tests.
        // NIO only; never the server's stack.
        .target(
            name: "DataStoreSyncTesting",
            dependencies: [
                "DataStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Server-side test support: a datastore-server in the test process, in one line.
        .target(
            name: "DataStoreServerTesting",
            dependencies: [
                "DataStore",
                "DataStoreServer",
                "DataStoreSchema",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "datastore-server",
            dependencies: [
                "DataStoreAppSync",
                "DataStoreServer",
                "DataStoreSchema",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // ModelSchema -> Swift source.
        .target(
            name: "DataStoreCodegen",
            dependencies: ["DataStoreSchema"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "datastore-modelgen",
            dependencies: [
                "DataStoreCodegen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .plugin(
            name: "DataStoreModelGenPlugin",
            capability: .buildTool(),
            dependencies: ["datastore-modelgen"]
        ),
        // The seed schema's models, generated at build time from Sources/BlogModels/schema.graphql.
        .target(
            name: "BlogModels",
            dependencies: ["DataStore"],
            swiftSettings: strictSettings,
            plugins: ["DataStoreModelGenPlugin"]
        ),
        .executableTarget(
            name: "datastore-demo",
            dependencies: [
                "DataStore",
                "BlogModels",
                "DataStoreSync",
                "DataStoreServer",
                "DataStoreServerTesting",
                "DataStoreSyncTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DataStoreTests",
            dependencies: [
                "DataStore", "BlogModels", "DataStoreTestSupport", "DataStoreTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // Models covering every kind of relation and key, generated by the plugin.
        .target(
            name: "RelationModels",
            dependencies: ["DataStore"],
            path: "Tests/RelationModels",
            swiftSettings: strictSettings,
            plugins: ["DataStoreModelGenPlugin"]
        ),
        // Models with @auth rules (owners, groups, public reads), for the synced stores of the
        // auth tests, generated by the plugin.
        .target(
            name: "AuthModels",
            dependencies: ["DataStore"],
            path: "Tests/AuthModels",
            swiftSettings: strictSettings,
            plugins: ["DataStoreModelGenPlugin"]
        ),
        // What the test targets share: stores per storage kind, temporary directories, expected
        // errors, seeded randomness.
        .target(
            name: "DataStoreTestSupport",
            dependencies: ["DataStore", "DataStoreTesting"],
            path: "Tests/DataStoreTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DataStoreRelationTests",
            dependencies: [
                "DataStore", "RelationModels", "DataStoreTestSupport", "DataStoreTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DataStoreCorpusTests",
            dependencies: ["DataStore", "DataStoreTestSupport", "DataStoreTesting"]
                + corpusModels.map { .target(name: "Corpus\($0)") },
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DataStoreServerTests",
            dependencies: [
                "DataStoreAppSync",
                "DataStoreServer",
                "DataStoreSchema",
                "DataStoreServerTesting",
                "DataStoreTesting",
                "DataStoreTestSupport",
                .product(name: "GraphQL", package: "GraphQL"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        // Sync against a real datastore-server in the test process.
        .testTarget(
            name: "DataStoreSyncTests",
            dependencies: [
                "DataStore",
                "DataStoreAppSync",
                "DataStoreSync",
                "DataStoreServer",
                "DataStoreServerTesting",
                "DataStoreTesting",
                "DataStoreSyncTesting",
                "DataStoreTestSupport",
                "BlogModels",
                "AuthModels",
                "CorpusRecursive",
                "DataStoreSchema",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The protocol module: round trips, and the client's documents against every corpus schema
        // (GraphQL's validation runs here, never in the module).
        .testTarget(
            name: "DataStoreAppSyncTests",
            dependencies: [
                "DataStoreAppSync",
                "DataStoreSchema",
                "DataStoreServer",
                "DataStoreTesting",
                .product(name: "GraphQL", package: "GraphQL"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DataStoreSchemaTests",
            dependencies: ["DataStoreSchema", "DataStoreCodegen"],
            // Golden files are expected generator output, read from the checkout, not compiled.
            exclude: ["Golden"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
    ]
)

for name in corpusModels {
    package.targets.append(
        .target(
            name: "Corpus\(name)",
            dependencies: ["DataStore"],
            path: "Tests/CorpusModels/\(name)",
            swiftSettings: strictSettings,
            plugins: ["DataStoreModelGenPlugin"]
        )
    )
}
