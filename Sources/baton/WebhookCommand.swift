import BatonCore
import BatonCrypto
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonJobs

#if canImport(Glibc)
    import Glibc
#endif

enum WebhookCommand: BatonCommand {
    static let name = "webhook"
    static let summary = "Send a signed Linear-shaped webhook (drive Baton without Linear)."
    static let help = """
        Usage: baton webhook send issue ID --title TEXT [--state NAME] [--description TEXT]
                                  [--priority 0-4] [--labels a,b] [--action create|update|remove]
               baton webhook send comment ID --body TEXT
               baton webhook send agent-session ID [--session SID] [--title TEXT] [--context TEXT]
                                  [--action created|prompted] [--prompt TEXT] [--signal stop]
               common: [--url URL] [--data-dir DIR]

        Builds a delivery in Linear's shape (type Issue or Comment, webhookTimestamp now, a fresh
        Linear-Delivery id), signs it with HMAC-SHA256 like Linear does, posts it to
        URL/webhooks/linear and prints the answer. Moving an issue to a terminal state (--state Done)
        stops its attempt; a comment starting with /baton steers a running one. An agent-session
        delivery (type AgentSessionEvent, for tracker.agent.enabled) delegates issue ID to Baton
        as Linear does when someone delegates it to Baton's app user (created), or writes to the
        session (prompted, --signal stop stops it); the session id is printed, pass it back with
        --session.

        The signing secret is BATON_WEBHOOK_SECRET when set; else the vault's linear_webhook_secret
        in the data directory, which is made (32 random bytes, hex) when it does not exist yet, so a
        local `baton serve` on the same data directory accepts it.

        Options:
          --url URL          The coordinator (default http://127.0.0.1:4000).
          --data-dir DIR     Its data directory, for the secret (default .baton).
          --title, --state (default Todo), --description, --priority (default 0), --labels, --action
                             (default create): the issue's fields.
          --body TEXT        The comment's text.
          --session SID      The agent session (default a new id, printed).
          --context TEXT     The session's promptContext (default the issue's title).
          --prompt TEXT      A prompted delivery's prompt.
          --help             Show this help.
        """
    static let options = CommandLineOptions.Spec(
        valued: [
            "url", "data-dir", "title", "state", "description", "priority", "labels", "action", "body", "session",
            "context", "prompt", "signal",
        ], flags: [])

    static func run(_ options: CommandLineOptions) async throws {
        guard options.positionals.first == "send" else { throw UsageError("webhook needs: send issue|comment ID …") }
        let arguments = Array(options.positionals.dropFirst())
        guard arguments.count == 2, ["issue", "comment", "agent-session"].contains(arguments[0]) else {
            throw UsageError("webhook send needs issue ID, comment ID or agent-session ID")
        }
        let identifier = arguments[1]
        guard IssueIdentifier.isValid(identifier) else {
            throw UsageError("ID must be an issue identifier such as ENG-123")
        }
        let now = Timestamp.nowMilliseconds()
        let payload: JSONValue
        if arguments[0] == "issue" {
            guard let title = options.value("title"), !title.isEmpty else { throw UsageError("--title is required") }
            let priority = Int(options.value("priority") ?? "0") ?? -1
            guard (0...4).contains(priority) else { throw UsageError("--priority must be 0 to 4") }
            let action = options.value("action") ?? "create"
            guard ["create", "update", "remove"].contains(action) else {
                throw UsageError("--action must be create, update or remove")
            }
            let issue = TrackedIssue(
                identifier: identifier, title: title, description: options.value("description") ?? "",
                state: options.value("state") ?? "Todo", priority: priority,
                labels: WorkerSetup.tags(options.value("labels") ?? ""))
            payload = LinearWebhook.issuePayload(issue, action: action, timestampMs: now)
        } else if arguments[0] == "comment" {
            guard let body = options.value("body"), !body.isEmpty else { throw UsageError("--body is required") }
            payload = LinearWebhook.commentPayload(issue: identifier, body: body, timestampMs: now)
        } else {
            let action = options.value("action") ?? "created"
            guard ["created", "prompted"].contains(action) else {
                throw UsageError("--action must be created or prompted")
            }
            let signal = options.value("signal")
            if let signal, !AgentSessionEvent.signals.contains(signal) {
                throw UsageError("--signal must be stop, continue, auth or select")
            }
            if action == "prompted", options.value("session") == nil {
                throw UsageError("a prompted delivery needs --session, the id a created one printed")
            }
            let session = options.value("session") ?? AgentActivityID.make()
            let title = options.value("title") ?? identifier
            let issue = TrackedIssue(
                identifier: identifier, title: title, description: options.value("description") ?? "", state: "Todo")
            payload = LinearWebhook.agentSessionPayload(
                action: action, sessionID: session, issue: issue, comment: action == "created" ? "@baton" : nil,
                promptContext: options.value("context") ?? (action == "created" ? title : nil),
                prompt: options.value("prompt"), signal: signal, timestampMs: now)
            print("agent session \(session)")
        }
        let secret = try await signingSecret(dataDir: options.value("data-dir") ?? ".baton")
        let body = Array(payload.text.utf8)
        let url = (options.value("url") ?? "http://127.0.0.1:4000").trimmingSuffix("/") + "/webhooks/linear"
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        headers.add("Linear-Signature", LinearWebhook.sign(body, secret: secret))
        headers.add("Linear-Delivery", Hex.encode(SecureRandom.bytes(16)))
        headers.add("Linear-Event", payload["type"]?.stringValue ?? "")
        let client = HTTPClient()
        defer { client.shutdown() }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(
                HTTPClientRequest(method: .post, url: url, headers: headers, body: body))
        } catch {
            throw RuntimeError("cannot reach \(url): \(error)")
        }
        print("\(response.status) \(String(decoding: response.body, as: UTF8.self))")
        guard (200..<300).contains(response.status) else { throw RuntimeError("the webhook was refused") }
    }

    static func signingSecret(dataDir: String) async throws -> String {
        if let secret = getenv("BATON_WEBHOOK_SECRET").map({ String(cString: $0) }), !secret.isEmpty { return secret }
        var found: String?
        do {
            try await DataDirectory.withMigratedDatabase(dataDir) { database in
                let vault = try SecretVault.open(dataDir: dataDir, database: database)
                if let value = try? await vault.value(tenant: "default", name: "linear_webhook_secret") {
                    found = value
                } else {
                    let made = Hex.encode(SecureRandom.bytes(32))
                    try await vault.set(tenant: "default", name: "linear_webhook_secret", value: made)
                    Log.write("stored a new webhook signing secret as linear_webhook_secret in \(dataDir)")
                    found = made
                }
            }
        } catch {
            throw RuntimeError("cannot read the webhook secret from \(dataDir): \(error)")
        }
        return found!
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
