import DataStoreCodegen
import DataStoreSchema
import Foundation
import Testing

/// The schema corpus: real-world schemas that modelgen and the server must handle (a copy of
/// ../shared/schemas, so that the tests run on a fresh clone).
enum Corpus {
    static let directory = Bundle.module.resourceURL!.appending(path: "Fixtures/schemas")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".graphql") }.sorted()
    }

    static func source(_ file: String) throws -> String {
        try String(contentsOf: directory.appending(path: file), encoding: .utf8)
    }
}

/// Paths of this checkout and of the build the tests run from.
enum Build {
    /// The repository root.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The directory of build products (`.build/debug`, or a sanitizer build's).
    static var products: URL {
        // The test runner executable lives in the products directory (.build/<triple>/debug).
        Bundle.main.executableURL!.resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// The `datastore-modelgen` executable built with the tests.
    static var modelgen: URL { products.appending(path: "datastore-modelgen") }

    /// The seed schema (Sources/BlogModels/schema.graphql).
    static var seedSchema: URL { root.appending(path: "Sources/BlogModels/schema.graphql") }

    /// Compiler flags that make the DataStore module importable from a standalone `swiftc`.
    static var moduleFlags: [String] {
        // .build/<triple>/debug → .build/checkouts
        let checkouts = products.deletingLastPathComponent().deletingLastPathComponent().appending(path: "checkouts")
        return [
            "-I", products.appending(path: "Modules").path,
            "-Xcc",
            "-fmodule-map-file=" + checkouts.appending(path: "GRDB.swift/Sources/GRDBSQLite/module.modulemap").path,
        ]
    }
}

/// Runs a command; returns its exit status and combined output.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The path of a tool on PATH.
func which(_ tool: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let path = "\(directory)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appending(path: "datastore-schema-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes the generated files of `document` into `directory`; returns their paths.
func writeGeneratedFiles(for document: SchemaDocument, to directory: URL) throws -> [String] {
    try ModelGenerator().files(for: document).map { generated in
        let url = directory.appending(path: generated.name)
        try generated.contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
