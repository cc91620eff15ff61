// swift-tools-version:6.2
import Foundation
import PackageDescription

// This example depends on the swift-datastore checkout it lives in. A path dependency's identity is
// its directory's name, which depends on where the repository was cloned; derive it. In your own
// package, depend on swift-datastore by URL and write `package: "swift-datastore"` instead.
let swiftDataStore = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "Blog",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../..")
    ],
    targets: [
        // schema.graphql in this target's sources becomes Swift models at build time.
        .executableTarget(
            name: "Blog",
            dependencies: [.product(name: "DataStore", package: swiftDataStore)],
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "DataStoreModelGenPlugin", package: swiftDataStore)]
        )
    ]
)
