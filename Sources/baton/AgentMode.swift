import BatonCore
import BatonIssues
import BatonJSON
import BatonLinear
import Synchronization

/// Linear agent mode in `baton serve` (SPEC §9.15): the activity sender, the progress follower
/// and the `viewer` check, started once, at start when `tracker.agent.enabled` is set or when an
/// overlay sets it later (the webhook route reads the setting per delivery, so sessions it stores
/// are always sent). Turned off again, it keeps sending what is stored; new sessions are not taken.
final class AgentMode: Sendable {
    let orchestrator: Orchestrator
    let events: EventBus
    let vault: SecretVault
    let systemTenant: String
    let metrics: MetricsRegistry
    private let running = Mutex<(task: Task<Void, Never>?, stopped: Bool)>((nil, false))

    init(
        orchestrator: Orchestrator, events: EventBus, vault: SecretVault, systemTenant: String, metrics: MetricsRegistry
    ) {
        self.orchestrator = orchestrator
        self.events = events
        self.vault = vault
        self.systemTenant = systemTenant
        self.metrics = metrics
    }

    /// Starts agent mode with `effective`'s settings if they ask for it and it is not running.
    func startIfEnabled(_ effective: JSONValue) {
        guard ConfigReader(effective).bool("tracker.agent.enabled") else { return }
        running.withLock { state in
            guard state.task == nil, !state.stopped else { return }
            state.task = start(effective)
        }
    }

    /// Cancels agent mode; returns its task, to wait for, if it ran.
    func stop() -> Task<Void, Never>? {
        running.withLock { state in
            state.stopped = true
            state.task?.cancel()
            return state.task
        }
    }

    private func start(_ effective: JSONValue) -> Task<Void, Never> {
        let agentConfig = ConfigReader(effective)
        let vault = self.vault
        let systemTenant = self.systemTenant
        let client: LinearClient
        if let clientID = agentConfig.optionalString("tracker.agent.client_id") {
            // The client credentials grant: Baton gets (and renews) the app's token itself.
            let secretReference = agentConfig.string("tracker.agent.client_secret")
            let appToken = LinearAppToken(
                settings: .init(
                    tokenURL: agentConfig.string("tracker.agent.token_url"), clientID: clientID,
                    scopes: agentConfig.strings("tracker.agent.scopes")),
                clientSecret: { try await vault.resolve(secretReference, tenant: systemTenant) })
            client = LinearClient(
                endpoint: agentConfig.string("tracker.endpoint"), metrics: metrics,
                onUnauthorized: { appToken.invalidate() }, apiKey: { "Bearer " + (try await appToken.token()) })
        } else {
            let reference = agentConfig.string("tracker.agent.app_token")
            client = LinearClient(
                endpoint: agentConfig.string("tracker.endpoint"), metrics: metrics,
                apiKey: {
                    // An OAuth token is sent as a bearer token; a personal key (lin_api_…) as it is.
                    let token = try await vault.resolve(reference, tenant: systemTenant)
                    return token.hasPrefix("lin_api_") || token.hasPrefix("Bearer ") ? token : "Bearer " + token
                })
        }
        var pageURL: (@Sendable (String) -> String)?
        if var base = agentConfig.optionalString("tracker.agent.public_url") {
            if base.hasSuffix("/") { base.removeLast() }
            let root = base
            pageURL = { identifier in root + "/#/issues/" + identifier }
        }
        let orchestrator = self.orchestrator
        let events = self.events
        let sender = AgentActivitySender(
            orchestrator: orchestrator, channel: LinearAgentChannel(client: client),
            perSecond: Int(agentConfig.int("tracker.agent.activities_per_second")), pageURL: pageURL,
            metrics: metrics, log: Log.write)
        let follower = AgentProgressFollower(orchestrator: orchestrator, log: Log.write)
        // Who the app acts as (`viewer`): a check that the token works, said once at start.
        let identity = LinearTracker(client: client, filter: .init())
        Log.write("tracker: Linear agent mode; activities go to \(agentConfig.string("tracker.endpoint"))")
        return Task {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    do {
                        let viewer = try await identity.viewer()
                        orchestrator.setAgentAppUser(viewer.id)
                        Log.write("tracker: Linear agent mode as \(viewer.name) (app user \(viewer.id))")
                    } catch {
                        Log.write("tracker: Linear agent mode, but Linear does not accept the app's token: \(error)")
                    }
                }
                group.addTask { await sender.run() }
                group.addTask { await follower.run(events: events) }
            }
        }
    }
}
