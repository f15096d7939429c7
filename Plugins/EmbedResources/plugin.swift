import Foundation
import PackagePlugin

/// Embeds the package's text resources into the target that applies the plugin:
/// BatonCore gets `Migrations/*.sql`, BatonAPI gets `openapi/openapi.json`, `openapi/docs.html` and the dashboard's
/// files in `ui/` (as assets by file name), BatonFit gets `Catalog/models.json` (made by scripts/make-catalog.py).
@main
struct EmbedResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        var inputs: [URL] = []
        var arguments: [String] = []
        switch target.name {
        case "BatonCore":
            let dir = root.appending(path: "Migrations")
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
                .filter { $0.hasSuffix(".sql") }.sorted()
            for name in names {
                let url = dir.appending(path: name)
                inputs.append(url)
                arguments.append("migration=\(url.path)")
            }
        case "BatonAPI":
            let url = root.appending(path: "openapi/openapi.json")
            inputs.append(url)
            arguments.append("openapi=\(url.path)")
            let docs = root.appending(path: "openapi/docs.html")
            inputs.append(docs)
            arguments.append("docs=\(docs.path)")
            let ui = root.appending(path: "ui")
            let assets = try FileManager.default.contentsOfDirectory(atPath: ui.path)
                .filter { !$0.hasPrefix(".") }.sorted()
            for name in assets {
                let url = ui.appending(path: name)
                inputs.append(url)
                arguments.append("asset=\(url.path)")
            }
        case "BatonFit":
            let url = root.appending(path: "Catalog/models.json")
            inputs.append(url)
            arguments.append("catalog=\(url.path)")
        default:
            return []
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedResources.swift")
        return [
            .buildCommand(
                displayName: "Embedding resources into \(target.name)",
                executable: try context.tool(named: "BatonEmbed").url,
                arguments: [output.path, "EmbeddedResources"] + arguments,
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
