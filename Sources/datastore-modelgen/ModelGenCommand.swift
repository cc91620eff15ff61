public import ArgumentParser
import DataStoreCodegen
import DataStoreSchema
import Foundation

/// `datastore-modelgen`: GraphQL schema → Swift models.
@main
struct ModelGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datastore-modelgen",
        abstract: "Generate swift-datastore models from a GraphQL schema.",
        discussion: """
            Writes one Swift file per model, enum and non-model type, plus a registry type that lists \
            the models and carries the schema version. Files whose contents did not change are not \
            rewritten; generated files for types that no longer exist are removed.
            """
    )

    @Option(name: .long, help: "The GraphQL schema file.")
    var schema: String

    @Option(name: .long, help: "The directory to write the Swift files to (created if missing).")
    var output: String

    @Option(name: .long, help: "The access level of the generated declarations: public or internal.")
    var access: ModelGenerator.Access = .public

    @Option(name: .customLong("registry-name"), help: "The name of the registry type.")
    var registryName = "AppModels"

    @Option(name: .customLong("single-file"), help: "Write everything into one file of this name instead.")
    var singleFile: String?

    @Flag(name: .shortAndLong, help: "Also print notes: directives that were accepted but ignored, and so on.")
    var verbose = false

    func run() throws {
        let document: SchemaDocument
        do {
            document = try SchemaParser.parse(contentsOfFile: schema)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        if verbose {
            for note in document.notes { print("\(schema):\(note.line):\(note.column): note: \(note.message)") }
        }
        guard Self.isSwiftIdentifier(registryName) else {
            throw ValidationError("--registry-name \(registryName) is not a Swift type name")
        }
        let generator = ModelGenerator(access: access, registryName: registryName)
        let files =
            singleFile.map { [generator.singleFile(for: document, named: $0)] } ?? generator.files(for: document)
        let written = try write(files, to: URL(fileURLWithPath: output))
        if verbose {
            print(
                "\(files.count) file(s) generated in \(output), \(written) written; schema version \(document.versionHash)"
            )
        }
    }

    /// Writes the files that changed and removes stale generated files; returns how many were written.
    private func write(_ files: [ModelGenerator.File], to directory: URL) throws -> Int {
        let manager = FileManager.default
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        var written = 0
        for file in files {
            let url = directory.appending(path: file.name)
            if let existing = try? String(contentsOf: url, encoding: .utf8), existing == file.contents { continue }
            try file.contents.write(to: url, atomically: true, encoding: .utf8)
            written += 1
        }
        // Remove files this tool generated earlier for types that are gone; never touch others.
        let names = Set(files.map(\.name))
        for name in try manager.contentsOfDirectory(atPath: directory.path)
        where name.hasSuffix(".swift") && !names.contains(name) {
            let url = directory.appending(path: name)
            if let text = try? String(contentsOf: url, encoding: .utf8), text.hasPrefix(ModelGenerator.header) {
                try manager.removeItem(at: url)
            }
        }
        return written
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func isSwiftIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
    }
}

extension ModelGenerator.Access: ExpressibleByArgument {}
