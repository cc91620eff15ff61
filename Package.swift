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
let corpusModels = ["Scalars", "PrimaryKeys", "Embedded", "Relations", "V1Keys", "Lists", "RealApp"]

let package = Package(
    name: "swift-datastore",
    platforms: [.macOS(.v15), .iOS(.v18)],
    products: [
        .library(name: "DataStore", targets: ["DataStore"]),
        .library(name: "DataStoreSchema", targets: ["DataStoreSchema"]),
        .library(name: "DataStoreCodegen", targets: ["DataStoreCodegen"]),
        .executable(name: "datastore-modelgen", targets: ["datastore-modelgen"]),
        .executable(name: "datastore-demo", targets: ["datastore-demo"]),
        .plugin(name: "DataStoreModelGenPlugin", targets: ["DataStoreModelGenPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/GraphQLSwift/GraphQL", from: "4.3.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        // GraphQL SDL -> ModelSchema, with Amplify's directives, and the schema version hash.
        .target(
            name: "DataStoreSchema",
            dependencies: [
                "DataStore",
                .product(name: "GraphQL", package: "GraphQL"),
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
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DataStoreTests",
            dependencies: ["DataStore", "BlogModels", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DataStoreCorpusTests",
            dependencies: ["DataStore"] + corpusModels.map { .target(name: "Corpus\($0)") },
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
