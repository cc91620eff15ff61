import Foundation
import PackagePlugin

/// Generates swift-datastore models at build time for every target that has a `schema.graphql`
/// among its files.
///
/// Add `plugins: [.plugin(name: "DataStoreModelGenPlugin", package: "swift-datastore")]` to the
/// target and put the schema at the root of its sources. The models, and a registry type named
/// `AppModels`, are generated as public declarations into one file (build plugins must name their
/// outputs before they run, and one file per type cannot be known without reading the schema).
@main
struct DataStoreModelGenPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let schemas = target.sourceFiles.filter { $0.url.lastPathComponent == "schema.graphql" }
        guard let schema = schemas.first else {
            Diagnostics.warning(
                "DataStoreModelGenPlugin: target \(target.name) has no schema.graphql; nothing to generate"
            )
            return []
        }
        let tool = try context.tool(named: "datastore-modelgen")
        let directory = context.pluginWorkDirectoryURL.appending(path: "GeneratedModels")
        let fileName = "\(target.name)+Models.swift"
        return [
            .buildCommand(
                displayName: "Generating models of \(target.name) from schema.graphql",
                executable: tool.url,
                arguments: [
                    "--schema", schema.url.path(percentEncoded: false),
                    "--output", directory.path(percentEncoded: false),
                    "--single-file", fileName,
                ],
                inputFiles: [schema.url],
                outputFiles: [directory.appending(path: fileName)]
            )
        ]
    }
}
