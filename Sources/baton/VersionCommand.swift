import BatonCore

enum VersionCommand: BatonCommand {
    static let name = "version"
    static let summary = "Print Baton's version."
    static let help = """
        Usage: baton version

        Prints the version of this baton binary.
        """
    static let options = CommandLineOptions.Spec(valued: [], flags: [])

    static func run(_ options: CommandLineOptions) async throws {
        guard options.positionals.isEmpty else { throw UsageError("version takes no arguments") }
        print(BatonVersion.current)
    }
}
