import BatonCore
import BatonFit
import BatonJSON

enum FitCommand: BatonCommand {
    static let name = "fit"
    static let summary = "Rank the catalog's models for this machine (fit, speed, score)."
    static let help = """
        Usage: baton fit [--limit N] [--sort COLUMN] [--min-fit LEVEL] [--perfect] [--use-case CASE]
                         [--runtime any|mlx|llamacpp] [--provider TEXT] [--search TEXT] [--max-context N]
                         [--json] [--ram-gb N] [--vram-gb N] [--gpu-name NAME]

        Analyses every model of the built-in catalog for the detected hardware (see baton system):
        the best quantisation that fits, how it would run (GPU, MoE, CPU+GPU, CPU), the fit level,
        an estimated speed and a score from 0 to 100. The filters are the node API's.

        Options:
          --limit N          Rows to show (default 20; 0 for all).
          --sort COLUMN      score (default), tps, params, mem, ctx, date or use_case.
          --min-fit LEVEL    perfect, good, marginal (default) or too_tight.
          --perfect          Only perfect fits.
          --use-case CASE    coding, reasoning, chat, multimodal, embedding or general.
          --runtime R        any (default), mlx or llamacpp.
          --provider TEXT    Providers containing TEXT.
          --search TEXT      Name, provider, size or use case containing TEXT.
          --max-context N    Estimate memory for at most N tokens of context (default 8192).
          --json             Print the node API's /api/v1/models document instead of a table.
          --ram-gb, --vram-gb, --gpu-name   Plan for another machine (as for baton system).
          --help             Show this help.
        """
    static let options = CommandLineOptions.Spec(
        valued: [
            "limit", "sort", "min-fit", "use-case", "runtime", "provider", "search", "max-context", "ram-gb", "vram-gb",
            "gpu-name",
        ], flags: ["perfect", "json"])

    static func run(_ options: CommandLineOptions) async throws {
        guard options.positionals.isEmpty else {
            throw UsageError("fit takes no arguments, got '\(options.positionals[0])'")
        }
        var parameters: [String: String] = ["limit": options.value("limit") ?? "20"]
        for (option, parameter) in [
            ("sort", "sort"), ("min-fit", "min_fit"), ("use-case", "use_case"), ("runtime", "runtime"),
            ("provider", "provider"), ("search", "search"), ("max-context", "max_context"),
        ] {
            if let value = options.value(option) { parameters[parameter] = value }
        }
        if options.has("perfect") { parameters["perfect"] = "true" }
        var query = ModelQuery()
        do {
            try query.apply(parameters)
        } catch {
            throw UsageError(error.description)
        }
        if query.limit == 0 { query.limit = nil }
        let system = SystemDetection.detect(try SystemCommand.overrides(options))
        let (models, total) = query.run(on: system)
        if options.has("json") {
            let node = NodeIdentity.current()
            let document: JSONValue = [
                "node": ["name": .string(node.name), "os": .string(node.os)], "system": system.json,
                "total_models": .int(Int64(total)), "returned_models": .int(Int64(models.count)),
                "filters": query.filtersJSON, "models": .array(models.map(\.json)),
            ]
            print(document.prettyText)
            return
        }
        print(table(models))
        print(
            "\(models.count) of \(total) matching models; \(SystemCommand.summary(system).split(separator: "\n").first ?? "")"
        )
    }

    static func table(_ models: [ModelFit]) -> String {
        let header = ["NAME", "PARAMS", "QUANT", "MODE", "FIT", "TOK/S", "SCORE"]
        let rows = models.map { fit -> [String] in
            let name = fit.model.name.count > 48 ? String(fit.model.name.prefix(47)) + "…" : fit.model.name
            let tps = (fit.estimatedTPS * 10).rounded() / 10
            return [
                name, fit.model.parameterCount.isEmpty ? "\(fit.model.paramsB)B" : fit.model.parameterCount,
                fit.bestQuant, fit.runMode.label, fit.fitLevel.label, "\(tps)", "\(fit.score)",
            ]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }.joined()
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
