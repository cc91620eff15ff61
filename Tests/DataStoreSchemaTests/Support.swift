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
