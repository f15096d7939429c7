/// One `baton` subcommand: its name, a one-line summary, its `--help` text, its options and its work.
protocol BatonCommand: Sendable {
    static var name: String { get }
    static var summary: String { get }
    static var help: String { get }
    static var options: CommandLineOptions.Spec { get }
    static func run(_ options: CommandLineOptions) async throws
}
