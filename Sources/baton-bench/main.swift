import BatonCore
import BatonHTTP
import BatonJSON
import BatonJobs
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// baton-bench: the load tools behind bench/*.sh. Each prints its figures on stdout.

let usage = """
    Usage:
      baton-bench router [--workers N] [--decisions N]
          Times JobRouter.route over N online workers (default 10000), N decisions (default 2000).
      baton-bench fit [--requests N]
          Times the node API's /models/top analysis of the whole catalog, N times (default 200).
      baton-bench e2e --url URL --key KEY [--workers N] [--jobs N] [--creators N]
          N simulated workers (default 50) lease and complete jobs that creators post; prints jobs/s.
      baton-bench create --url URL --key KEY [--connections N] [--seconds S] [--ack-file F]
          Posts jobs on N connections for S seconds (or until the server dies); with --ack-file,
          writes the id of every job whose POST got a 2xx, one per line.
      baton-bench webhook-ingest --url URL --key KEY --secret S [--deliveries N] [--connections N]
          Posts N signed Linear Issue deliveries (default 20000) on N connections (default 16).
      baton-bench webhook-latency --url URL --key KEY --secret S [--count N]
          Sends N deliveries one at a time (default 200); prints send -> job assigned_at latency.
      baton-bench verify --url URL --key KEY --ack-file F
          Reads every id in F back through GET /api/jobs/:id; prints acknowledged, found, missing.
      baton-bench soak --url URL --key KEY --secret S --pid PID --data-dir DIR --workspaces DIR
                       [--seconds N] [--jobs-per-s R] [--webhooks-per-s R] [--reads-per-s R]
                       [--interval N] [--warmup N] [--cooldown N] [--close-after N]
          Mixed load for N seconds (default 1800): dry-run job creates (100/s), signed Linear
          webhooks (50/s: new issues in Todo, each moved to Done --close-after seconds later,
          default 30, 0 never), reads of one job and of the job list (50/s), an SSE client checking
          event ids for gaps and a /health probe. Every --interval seconds (30) prints the server's
          RSS, fds, DB and WAL size, workspaces, /health p99 and SSE gaps; then watches --cooldown
          seconds (60) of idle and prints growth per hour (RSS from --warmup, 300 s) and errors.
    """

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    print(usage)
    exit(2)
}
arguments.removeFirst()
func parseOptions(_ arguments: [String]) -> [String: String] {
    var options: [String: String] = [:]
    var index = 0
    while index < arguments.count {
        let name = arguments[index]
        guard name.hasPrefix("--"), index + 1 < arguments.count else {
            print("baton-bench: unexpected argument \(name)\n\(usage)")
            exit(2)
        }
        options[String(name.dropFirst(2))] = arguments[index + 1]
        index += 2
    }
    return options
}
let options = parseOptions(arguments)
@MainActor func int(_ name: String, _ fallback: Int) -> Int { options[name].flatMap(Int.init) ?? fallback }
@MainActor func required(_ name: String) -> String {
    guard let value = options[name] else {
        print("baton-bench: --\(name) is required\n\(usage)")
        exit(2)
    }
    return value
}

switch command {
case "router":
    RouterBench.run(workers: int("workers", 10_000), decisions: int("decisions", 2000))
case "fit":
    FitBench.run(requests: int("requests", 200))
case "e2e":
    try EndToEndBench.run(
        url: required("url"), key: required("key"), workers: int("workers", 50), jobs: int("jobs", 20_000),
        creators: int("creators", 16))
case "create":
    try await CreateBench.run(
        url: required("url"), key: required("key"), connections: int("connections", 64),
        seconds: int("seconds", 10), ackFile: options["ack-file"])
case "webhook-ingest":
    try WebhookBench.ingest(
        url: required("url"), key: required("key"), secret: required("secret"), deliveries: int("deliveries", 20_000),
        connections: int("connections", 16), prefix: options["prefix"] ?? "ING")
case "webhook-latency":
    try WebhookBench.latency(
        url: required("url"), key: required("key"), secret: required("secret"), count: int("count", 200),
        prefix: options["prefix"] ?? "LAT")
case "soak":
    let pid = int("pid", 0)
    guard let serverPID = Int32(exactly: pid), serverPID > 0 else {
        print("baton-bench: --pid must be the server's process id\n\(usage)")
        exit(2)
    }
    func rate(_ name: String, _ fallback: Double) -> Double {
        guard let text = options[name] else { return fallback }
        guard let value = Double(text), value >= 0, value.isFinite else {
            print("baton-bench: --\(name) must be a non-negative number, not \(text)")
            exit(2)
        }
        return value
    }
    try SoakBench.run(
        SoakBench.Options(
            url: required("url"), key: required("key"), secret: required("secret"), pid: serverPID,
            dataDir: required("data-dir"), workspaces: required("workspaces"), seconds: int("seconds", 1800),
            jobsPerSecond: rate("jobs-per-s", 100), webhooksPerSecond: rate("webhooks-per-s", 50),
            readsPerSecond: rate("reads-per-s", 50), interval: max(1, int("interval", 30)),
            warmup: int("warmup", 300), cooldown: int("cooldown", 60), prefix: options["prefix"] ?? "SOAK",
            closeAfter: max(0, int("close-after", 30))))
case "verify":
    try await CreateBench.verify(url: required("url"), key: required("key"), ackFile: required("ack-file"))
default:
    print(usage)
    exit(2)
}
