import BatonCore
import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// The subcommands `baton` has today; `baton --help` lists exactly these.
enum Commands {
    static let all: [any BatonCommand.Type] = [
        ServeCommand.self, NodeCommand.self, SystemCommand.self, FitCommand.self, MigrateCommand.self, KeysCommand.self,
        SecretsCommand.self, WebhookCommand.self,
        AuditCommand.self,
        VersionCommand.self,
    ]
}

func topLevelHelp() -> String {
    var text = """
        baton — a Linear-integrated issue-agent orchestrator.

        Usage: baton <command> [options]

        Commands:

        """
    for command in Commands.all {
        text +=
            "  " + command.name + String(repeating: " ", count: max(1, 10 - command.name.count)) + command.summary
            + "\n"
    }
    text += """

        Run `baton <command> --help` for a command's options.
        Exit status: 0 ok, 1 runtime failure, 2 usage error.
        """
    return text
}

func writeError(_ line: String) {
    var text = "baton: " + line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

// A supervisor of one agent (SPEC §7.14) is this binary started again by a worker: it does nothing
// else. Every other command installs this binary as the supervisor of the agents it may start.
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == Supervisor.command {
    Supervisor.main(Array(CommandLine.arguments.dropFirst(2)))
}
do {
    try Supervisor.install()
} catch {
    writeError("warning: \(error): agents will not end with this process")
}

// The master key leaves the environment before anything else runs, whatever the command: no
// child (a hardware probe, git) inherits it, and /proc/<pid>/environ no longer shows it.
MasterKey.takeFromEnvironment()
let arguments = Array(CommandLine.arguments.dropFirst())
guard let first = arguments.first else {
    print(topLevelHelp())
    exit(2)
}
if first == "--help" || first == "-h" || first == "help" {
    print(topLevelHelp())
    exit(0)
}
if first == "--version" {
    print(BatonVersion.current)
    exit(0)
}
guard let command = Commands.all.first(where: { $0.name == first }) else {
    writeError("unknown command '\(first)'; run `baton --help` to list the commands")
    exit(2)
}
let rest = arguments.dropFirst()
if rest.contains("--help") || rest.contains("-h") {
    print(command.help)
    exit(0)
}
do {
    let options = try CommandLineOptions(rest, spec: command.options)
    try await command.run(options)
    exit(0)
} catch let error as UsageError {
    writeError(error.message + " (see `baton \(command.name) --help`)")
    exit(2)
} catch let error as RuntimeError {
    writeError(error.message)
    exit(1)
} catch {
    writeError("\(error)")
    exit(1)
}
