// swift-tools-version:6.0
import PackageDescription

// Baton uses no Swift package dependencies: only the toolchain and three Debian C libraries
// (libsqlite3, libsodium, libcurl) reached through system-library targets.
let package = Package(
    name: "Baton",
    products: [
        .executable(name: "baton", targets: ["baton"])
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        // Headers only at build time: libcurl itself is opened with dlopen on first use.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Header-only: epoll, eventfd, accept4 and socket options that Glibc imports awkwardly.
        .systemLibrary(name: "CLinux"),

        // Turns Migrations/*.sql and openapi/openapi.json into Swift source at build time, so the
        // binary carries them and needs no source tree at run time.
        .executableTarget(name: "BatonEmbed"),
        .plugin(
            name: "EmbedResources", capability: .buildTool(),
            dependencies: ["BatonEmbed"]),

        // Dedicated OS threads, condition variables and substring search, without Foundation.
        .target(name: "BatonPlatform", dependencies: ["CLinux"]),
        // The one wrapper around libsodium: random bytes, BLAKE2b, HMAC, SHA-256, XChaCha20-Poly1305.
        .target(name: "BatonCrypto", dependencies: ["CSodium"]),
        // Strict JSON values, parser and canonical serialiser: used by every layer above.
        .target(name: "BatonJSON"),
        // The worker protocol (presence, lease, events, complete) as typed messages both sides
        // build and read, the one timestamp format, and the list of provider kinds.
        .target(name: "BatonWorkerProtocol", dependencies: ["BatonJSON", "BatonPlatform"]),
        .target(name: "BatonHTTP", dependencies: ["BatonJSON", "BatonPlatform", "CLinux", "CCurl"]),
        .target(name: "BatonStore", dependencies: ["BatonCrypto", "BatonPlatform", "CSQLite"]),
        .target(
            name: "BatonCore",
            dependencies: ["BatonCrypto", "BatonJSON", "BatonPlatform", "BatonStore", "BatonWorkerProtocol"],
            plugins: ["EmbedResources"]),
        // Jobs, workers, leases, the router, the killswitch and the cost ledger (SPEC §6).
        .target(
            name: "BatonJobs",
            dependencies: ["BatonCore", "BatonCrypto", "BatonJSON", "BatonStore", "BatonWorkerProtocol"]),
        // The strict Liquid subset and the stored prompt templates (SPEC §9.11).
        .target(name: "BatonTemplates", dependencies: ["BatonCore", "BatonJSON", "BatonPlatform", "BatonStore"]),
        // Issues are built on jobs, never the other way: the orchestrator, its state table, the
        // Linear webhook inbox (SPEC §9, §10).
        .target(
            name: "BatonIssues",
            dependencies: [
                "BatonCore", "BatonJobs", "BatonJSON", "BatonPlatform", "BatonStore", "BatonTemplates", "BatonCrypto",
            ]),
        // Retention (SPEC §1.4): prunes old events, jobs, deliveries and ledger entries off the hot path.
        .target(
            name: "BatonRetention",
            dependencies: ["BatonCore", "BatonIssues", "BatonJobs", "BatonJSON", "BatonStore"]),
        // Hardware detection, the model catalog, and the fit and score formulas (pure functions).
        .target(name: "BatonFit", dependencies: ["BatonJSON", "BatonPlatform"], plugins: ["EmbedResources"]),
        // The worker side: lease loop, workspaces and hooks, agent runners.
        .target(
            name: "BatonAgent", dependencies: ["BatonHTTP", "BatonJSON", "BatonPlatform", "BatonWorkerProtocol"]),
        // Linear's GraphQL API: the tracker the orchestrator polls and writes back to.
        .target(
            name: "BatonLinear",
            dependencies: ["BatonCore", "BatonHTTP", "BatonIssues", "BatonJSON", "BatonWorkerProtocol"]),
        .target(
            name: "BatonAPI",
            dependencies: [
                "BatonCore", "BatonCrypto", "BatonFit", "BatonHTTP", "BatonIssues", "BatonJobs", "BatonJSON",
                "BatonPlatform", "BatonStore", "BatonTemplates", "BatonWorkerProtocol",
            ],
            plugins: ["EmbedResources"]),
        .executableTarget(
            name: "baton",
            dependencies: [
                "BatonAgent", "BatonAPI", "BatonCore", "BatonCrypto", "BatonFit", "BatonHTTP", "BatonIssues",
                "BatonJobs", "BatonJSON", "BatonLinear", "BatonPlatform", "BatonRetention", "BatonStore",
            ]),
        // Load tools for bench/: the router in isolation, and HTTP load playing clients and workers.
        .executableTarget(
            name: "baton-bench",
            dependencies: [
                "BatonCore", "BatonCrypto", "BatonFit", "BatonHTTP", "BatonIssues", "BatonJobs", "BatonJSON",
                "BatonPlatform",
                "BatonWorkerProtocol",
            ]),

        // Helpers several test targets share (child processes and their pipes); never shipped.
        .target(
            name: "BatonTestSupport", dependencies: ["BatonHTTP", "BatonJSON", "BatonPlatform"],
            path: "Tests/BatonTestSupport"),
        .testTarget(name: "BatonJSONTests", dependencies: ["BatonJSON"]),
        .testTarget(name: "BatonPlatformTests", dependencies: ["BatonPlatform", "BatonTestSupport"]),
        .testTarget(name: "BatonCryptoTests", dependencies: ["BatonCrypto"]),
        .testTarget(name: "BatonWorkerProtocolTests", dependencies: ["BatonJSON", "BatonWorkerProtocol"]),
        .testTarget(
            name: "BatonHTTPTests", dependencies: ["BatonTestSupport", "BatonHTTP", "CLinux"],
            exclude: ["Fixtures"]),
        .testTarget(name: "BatonStoreTests", dependencies: ["BatonPlatform", "BatonStore", "BatonTestSupport"]),
        .testTarget(
            name: "BatonFitTests", dependencies: ["BatonTestSupport", "BatonFit", "BatonJSON"], exclude: ["Fixtures"]),
        .testTarget(
            name: "BatonLinearTests",
            dependencies: [
                "BatonTestSupport", "BatonLinear", "BatonCore", "BatonHTTP", "BatonIssues", "BatonJobs", "BatonJSON",
                "BatonStore", "BatonTemplates",
                "BatonWorkerProtocol",
            ]),
        .testTarget(
            name: "BatonCoreTests",
            dependencies: ["BatonTestSupport", "BatonCore", "BatonCrypto", "BatonJSON", "BatonPlatform", "BatonStore"]),
        // A migrated SQLite file with a dispatcher, an orchestrator and an inbox on a manual clock:
        // what the domain tests of jobs and issues run against, without HTTP.
        .target(
            name: "BatonCoreFixtures",
            dependencies: ["BatonCore", "BatonIssues", "BatonJobs", "BatonStore", "BatonTestSupport", "BatonJSON"],
            path: "Tests/BatonCoreFixtures"),
        .testTarget(
            name: "BatonJobsTests",
            dependencies: [
                "BatonCore", "BatonCoreFixtures", "BatonJobs", "BatonJSON", "BatonStore", "BatonTestSupport",
                "BatonWorkerProtocol",
            ]),
        .testTarget(
            name: "BatonTemplatesTests",
            dependencies: [
                "BatonCore", "BatonCoreFixtures", "BatonJSON", "BatonStore", "BatonTemplates", "BatonTestSupport",
            ]),
        .testTarget(
            name: "BatonIssuesTests",
            dependencies: [
                "BatonCore", "BatonCoreFixtures", "BatonIssues", "BatonJobs", "BatonJSON", "BatonStore",
                "BatonWorkerProtocol",
            ]),
        .testTarget(
            name: "BatonRetentionTests",
            dependencies: [
                "BatonCore", "BatonCoreFixtures", "BatonIssues", "BatonJobs", "BatonJSON", "BatonRetention",
                "BatonStore",
                "BatonWorkerProtocol",
            ]),
        .testTarget(
            name: "BatonAgentTests",
            dependencies: ["BatonTestSupport", "BatonAgent", "BatonHTTP", "BatonJSON", "BatonWorkerProtocol"],
            exclude: ["Fixtures"]),
        // Runs the built `baton` binary as a child process, as a user would.
        .testTarget(
            name: "BatonCLITests", dependencies: ["BatonTestSupport", "BatonCrypto", "BatonHTTP", "BatonJSON"]),
        .testTarget(
            name: "BatonAPITests",
            dependencies: [
                "BatonTestSupport", "BatonAgent", "BatonAPI", "BatonCore", "BatonCrypto", "BatonFit", "BatonHTTP",
                "BatonIssues", "BatonJobs", "BatonJSON", "BatonPlatform", "BatonStore", "BatonWorkerProtocol",
            ]),
    ],
    swiftLanguageModes: [.v6]
)

// Baton uses no regular expressions: without the implicit `_StringProcessing` import (and with no
// module importing Dispatch, whose overlay needs it) `baton` does not load libswift_StringProcessing
// and libswift_RegexParser, about 1 MB less resident at idle (docs/ARCHITECTURE.md, rules;
// bench/RESULTS.md, idle RSS). Substring search is BatonPlatform's StringSearch.
for target in package.targets where target.type == .regular || target.type == .executable {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"])
        ]
}
