import BatonJSON
import BatonPlatform
import BatonWorkerProtocol

/// The JSON Schema of Baton's configuration: every key, its type, limits, default and meaning.
/// Built in code so it cannot drift from the defaults (`ConfigSchema.defaults` is derived from it).
public enum ConfigSchema {
    static func object(_ description: String, _ properties: [String: JSONValue]) -> JSONValue {
        [
            "type": "object", "description": .string(description), "additionalProperties": false,
            "properties": .object(properties),
        ]
    }
    static func map(_ description: String, of value: JSONValue) -> JSONValue {
        ["type": "object", "description": .string(description), "additionalProperties": value, "default": [:]]
    }
    static func integer(_ value: Int64?, _ min: Int64, _ max: Int64, _ description: String) -> JSONValue {
        var s: [String: JSONValue] = [
            "type": "integer", "minimum": .int(min), "maximum": .int(max), "description": .string(description),
        ]
        if let value { s["default"] = .int(value) }
        return .object(s)
    }
    static func number(_ value: Double?, min: Double, _ description: String) -> JSONValue {
        var s: [String: JSONValue] = ["type": "number", "minimum": .double(min), "description": .string(description)]
        if let value { s["default"] = .double(value) }
        return .object(s)
    }
    static func string(_ value: String?, _ description: String, oneOf choices: [String]? = nil) -> JSONValue {
        var s: [String: JSONValue] = ["type": "string", "maxLength": 4096, "description": .string(description)]
        if let value { s["default"] = .string(value) }
        if let choices { s["enum"] = .array(choices.map(JSONValue.string)) }
        return .object(s)
    }
    /// A credential: only a `$secret:NAME` reference is accepted, so no secret value is ever kept
    /// in a config file, the overlay, an API answer or the audit log.
    static func secretReference(_ value: String?, _ description: String) -> JSONValue {
        var s: [String: JSONValue] = [
            "type": "string", "x-secret": true,
            "description": .string(description + " Must be a $secret:NAME reference."),
        ]
        if let value { s["default"] = .string(value) }
        return .object(s)
    }

    /// Environment variables by name: values are plain strings or `$secret:NAME` references.
    static func environmentMap(_ description: String) -> JSONValue {
        [
            "type": "object", "description": .string(description), "default": [:], "x-env-names": true,
            "additionalProperties": ["type": "string", "maxLength": 4096],
        ]
    }

    static func boolean(_ value: Bool, _ description: String) -> JSONValue {
        ["type": "boolean", "default": .bool(value), "description": .string(description)]
    }
    static func strings(_ value: [String], _ description: String) -> JSONValue {
        [
            "type": "array", "items": ["type": "string", "maxLength": 256], "maxItems": 256,
            "default": .array(value.map(JSONValue.string)), "description": .string(description),
        ]
    }
    static func array(of item: JSONValue, _ description: String) -> JSONValue {
        ["type": "array", "items": item, "maxItems": 256, "default": [], "description": .string(description)]
    }

    static let providerKinds = ProviderKind.allCases.map(\.rawValue)

    public static let schema: JSONValue = {
        var root = object(
            "Baton configuration. Effective config = these defaults < baton.json < BATON_SECTION__KEY environment variables < the runtime overlay.",
            [
                "server": object(
                    "The HTTP server.",
                    [
                        "host": string("127.0.0.1", "Address to listen on."),
                        "port": integer(4000, 0, 65535, "TCP port; 0 picks a free one."),
                        "max_body_bytes": integer(
                            1_048_576, 1024, 67_108_864, "Largest request body; larger ones get 413 before being read."),
                        "max_header_bytes": integer(
                            16384, 1024, 1_048_576, "Largest request header block; larger ones get 431."),
                        "header_timeout_s": integer(10, 1, 600, "Seconds a client may take to send its headers."),
                        "idle_timeout_s": integer(60, 1, 3600, "Seconds an idle keep-alive connection is kept."),
                        "body_timeout_s": integer(
                            60, 1, 3600,
                            "Seconds a client may take to send a request body, from the end of its headers; then 408."),
                        "max_connections_per_source": integer(
                            256, 1, 100_000, "Open connections one remote address may hold; beyond it 503."),
                        "event_loops": integer(
                            Int64(min(Processors.usable, 256)), 1, 256,
                            "HTTP event loops (threads with an epoll each; read at start). Default: the CPUs this process may use."
                        ),
                        "public_metrics": boolean(false, "Serve /metrics without an API key."),
                        "malloc_arenas": integer(
                            2, 0, 64,
                            "glibc malloc arenas the process may use (read at start from the file and environment, before any thread runs); fewer arenas keep less freed memory resident after load. 0 leaves glibc's default (8 per core)."
                        ),
                        "event_window": integer(
                            1024, 1, 1_000_000,
                            "Newest events kept in memory (read at start) so SSE clients resume without a database read; between this many and twice as many are held."
                        ),
                        "sse_buffer": integer(
                            1024, 16, 1_000_000,
                            "Events an SSE client may fall behind (read at start); beyond it its stream ends and it resumes with Last-Event-ID."
                        ),
                        "memory_trim_s": integer(
                            30, 0, 3600,
                            "Seconds between returns of freed heap pages to the system (malloc_trim), so memory falls back after a load peak. 0 never."
                        ),
                        "system_tenant": string(
                            "default",
                            "The tenant that runs the instance (read at start): only its admin keys change configuration, secrets named in configuration resolve in it, and only its keys see instance events, metrics and configuration in full."
                        ),
                        "rate_limits": object(
                            "Requests per minute before 429 (token buckets, read at start).",
                            [
                                "read": integer(1200, 1, 1_000_000, "GET/HEAD/OPTIONS per API key."),
                                "write": integer(300, 1, 1_000_000, "Other methods per API key."),
                                "webhook": integer(600, 1, 1_000_000, "POST /webhooks/linear per source address."),
                                "anonymous": integer(
                                    60, 1, 1_000_000,
                                    "Requests to routes that need a key, made without a valid one, per source address (an IPv6 /64); beyond it 429 before authentication and audit."
                                ),
                            ]),
                    ]),
                "audit": object(
                    "The audit log of change attempts.",
                    [
                        "refused_interval_s": integer(
                            60, 0, 86400,
                            "Anonymous and refused (429) change attempts from one source: the first is an entry at once, the rest are counted into one entry per this many seconds. 0 writes an entry for each."
                        )
                    ]),
                "storage": object(
                    "Where state is kept.",
                    ["data_dir": string(".baton", "Directory of the SQLite database and key files.")]),
                "retention": object(
                    "How long finished work is kept in the database; older rows are pruned in small batches off the request path. 0 keeps them forever. The audit log is pruned only by `baton audit prune`.",
                    [
                        "events_s": integer(
                            2_592_000, 0, 3_153_600_000,
                            "Events older than this many seconds (default 30 days) are removed; an event stream resuming from an older id continues at the oldest kept."
                        ),
                        "jobs_s": integer(
                            2_592_000, 0, 3_153_600_000,
                            "Jobs finished (completed, failed, cancelled) longer ago than this are removed with their steering messages and delivered worker commands; their attempts keep their history without the job."
                        ),
                        "webhook_deliveries_s": integer(
                            2_592_000, 0, 3_153_600_000,
                            "Processed Linear webhook deliveries older than this are removed; whatever is set, each is kept at least twice webhooks.linear.max_age_ms and a minute, so any replay that could still pass the timestamp check meets the delivery it repeats."
                        ),
                        "attempt_prompts_s": integer(
                            2_592_000, 0, 3_153_600_000,
                            "Rendered prompts of attempts finished longer ago than this are cleared (the attempt itself is kept)."
                        ),
                        "issues_s": integer(
                            7_776_000, 0, 3_153_600_000,
                            "Issues released (terminal or removed in the tracker, or let go by an operator) and unchanged for longer than this (default 90 days) are forgotten with their attempts and transitions, once their workspace is removed; if the tracker sends one again it arrives as a new issue."
                        ),
                        "cost_ledger_s": integer(
                            34_560_000, 0, 3_153_600_000,
                            "Cost ledger entries older than this (default 400 days) are removed; at least 32 days are kept whatever is set, so the month's budget always sees its spend."
                        ),
                        "interval_s": integer(60, 1, 86400, "Seconds between pruning passes."),
                        "batch_rows": integer(
                            500, 1, 100_000,
                            "Rows one pruning transaction removes at most; a pass runs batches until nothing old is left."
                        ),
                    ]),
                "tracker": object(
                    "Where issues come from.",
                    [
                        "kind": string(
                            "local", "local keeps issues without polling; linear also polls and writes back.",
                            oneOf: ["local", "linear"]),
                        "endpoint": string("https://api.linear.app/graphql", "Linear's GraphQL endpoint."),
                        "api_key": secretReference("$secret:linear_api_key", "Linear API key."),
                        "team_key": string(nil, "Linear team key to poll, e.g. ENG."),
                        "project_slug": string(nil, "Only issues of this Linear project."),
                        "assignee": string(nil, "Only issues assigned to this user."),
                        "active_states": strings(["Todo", "In Progress"], "Linear states whose issues are worked on."),
                        "terminal_states": strings(
                            ["Done", "Closed", "Canceled", "Cancelled", "Duplicate"], "Linear states that end an issue."
                        ),
                        "required_labels": strings([], "Labels an issue must carry to be eligible."),
                        "poll_interval_ms": integer(30000, 1000, 86_400_000, "How often Linear is polled."),
                        "page_size": integer(50, 1, 250, "Issues per GraphQL page."),
                        "write_back": boolean(
                            true, "With kind linear: move issues and comment outcomes in Linear."),
                        "started_state": string("In Progress", "Where an issue goes when its first attempt starts."),
                        "review_state": string("In Review", "Where an issue goes when an attempt completes."),
                        "agent": object(
                            "Baton as a Linear agent (an OAuth app installed with actor=app).",
                            [
                                "enabled": boolean(
                                    false,
                                    "Act on AgentSessionEvent deliveries: sessions start and steer attempts, and activities go back to Linear."
                                ),
                                "app_token": secretReference(
                                    "$secret:linear_agent_token", "The app's OAuth access token (actor=app)."),
                                "client_id": string(
                                    nil,
                                    "The OAuth app's client id: when set, Baton gets its token by the client credentials grant instead of app_token."
                                ),
                                "client_secret": secretReference(
                                    "$secret:linear_client_secret", "The OAuth app's client secret."),
                                "token_url": string(
                                    "https://api.linear.app/oauth/token", "Linear's OAuth token endpoint."),
                                "scopes": strings(
                                    ["read", "write", "app:assignable", "app:mentionable"],
                                    "Scopes asked for with the client credentials grant."),
                                "public_url": string(
                                    nil,
                                    "Baton's address as Linear's users reach it; each session links to the issue's page there."
                                ),
                                "activities_per_second": integer(
                                    2, 1, 50,
                                    "Agent activities sent to Linear per second at most, all sessions together."),
                                "share_command_output": boolean(
                                    false,
                                    "Post the end of each command's output in the session's action (everyone in the Linear workspace reads it, and output can hold credentials); off, an action carries the command's exit status only."
                                ),
                            ]),
                    ]),
                "webhooks": object(
                    "Inbound webhooks.",
                    [
                        "linear": object(
                            "Linear webhooks.",
                            [
                                "secret": secretReference("$secret:linear_webhook_secret", "Signing secret."),
                                "previous_secret": secretReference(
                                    nil, "The previous signing secret, accepted during rotation."),
                                "max_age_ms": integer(
                                    60000, 1000, 3_600_000, "Oldest (or newest) webhookTimestamp accepted."),
                                "rate_limit_per_min": integer(
                                    600, 1, 100_000, "Deliveries accepted per minute per source."),
                                "steer_prefix": string(
                                    "/baton", "A comment starting with this steers a running issue."),
                            ])
                    ]),
                "agent": object(
                    "How attempts run.",
                    [
                        "provider": string("dry-run", "Provider name (a key of providers, or a built-in kind)."),
                        "model": string(nil, "Model to use unless an issue overrides it."),
                        "max_concurrent": integer(10, 1, 1000, "Attempts running at once."),
                        "max_concurrent_by_state": map(
                            "Attempts running at once per Linear state.",
                            of: ["type": "integer", "minimum": 0, "maximum": 1000]),
                        "max_turns": integer(20, 1, 1000, "Turns per attempt."),
                        "max_attempts": integer(10, 1, 1000, "Attempts per issue before it fails."),
                        "max_retry_backoff_ms": integer(300_000, 1000, 86_400_000, "Longest wait between retries."),
                        "stall_timeout_ms": integer(
                            300_000, 1000, 86_400_000, "An attempt with no event for this long is killed and retried."),
                        "turn_timeout_ms": integer(3_600_000, 1000, 86_400_000, "Longest single turn."),
                        "template": string("default", "Prompt template id."),
                    ]),
                "providers": map(
                    "Named agent and LLM providers.",
                    of: object(
                        "One provider.",
                        [
                            "kind": string(nil, "What speaks to it.", oneOf: providerKinds),
                            "base_url": string(nil, "Endpoint for HTTP providers."),
                            "api_key": secretReference(nil, "API key."),
                            "command": string(
                                nil,
                                "The agent's command: a shell line for kind command; for codex and claude-code the program and its first arguments, split at spaces and run without a shell (default `codex app-server`, `claude`)."
                            ),
                            "args": strings(
                                [], "codex, claude-code: more arguments, after Baton's own, each passed as it is."),
                            "env": environmentMap(
                                "codex, claude-code, command: environment variables for the agent's process; a value may be a $secret:NAME reference, resolved when the process starts."
                            ),
                            "approvals": string(
                                nil,
                                "codex: how Baton answers approval requests (default decline); setting it makes the default approval_policy on-request.",
                                oneOf: ["accept", "decline"]),
                            "approval_policy": string(
                                nil,
                                "codex: when codex asks before acting (thread/start approvalPolicy); default never, or on-request when approvals is set.",
                                oneOf: ["never", "on-request", "untrusted"]),
                            "sandbox": string(
                                nil, "codex: the sandbox its commands run in (default workspace-write).",
                                oneOf: ["read-only", "workspace-write", "danger-full-access"]),
                            "permission_mode": string(
                                nil,
                                "claude-code: --permission-mode (default acceptEdits: edits and commands that write inside the workspace run; manual and dontAsk deny them, which blocks the issue). bypassPermissions is refused until agents run in Baton's workspace sandbox.",
                                oneOf: ["acceptEdits", "manual", "plan", "dontAsk", "auto"]),
                            "allowed_tools": strings(
                                [], "claude-code: --allowedTools rules, e.g. Bash(npm test:*), allowed without asking."),
                            "max_steps": integer(
                                nil, 1, 10000,
                                "claude-code: --max-turns, the CLI's tool steps within one run (agent.max_turns counts Baton's turns)."
                            ),
                            "max_api_retries": integer(
                                nil, 0, 1000,
                                "codex, claude-code: model API retries the agent may announce in one turn before Baton stops it (default 10)."
                            ),
                            "models": strings([], "Models it offers."),
                            "pricing": map(
                                "USD per million tokens by model.",
                                of: object(
                                    "Prices of one model.",
                                    [
                                        "input_per_mtok": number(nil, min: 0, "USD per million input tokens."),
                                        "output_per_mtok": number(nil, min: 0, "USD per million output tokens."),
                                    ])),
                        ])),
                "sandbox": object(
                    "How workers contain agents and hooks (read by each worker at start).",
                    [
                        "mode": string(
                            "landlock",
                            "landlock: a Landlock sandbox where the kernel has one (Linux 5.13+); required: refuse to start without it; off: none (baton serve warns).",
                            oneOf: ["landlock", "required", "off"]),
                        "read_paths": strings(
                            [], "Readable (and executable) by agents and hooks, besides the system paths."),
                        "write_paths": strings(
                            [],
                            "Writable by agents and hooks, besides their workspace and a private temporary directory: an agent's own state, e.g. CODEX_HOME or ~/.claude."
                        ),
                        "connect_ports": array(
                            of: ["type": "integer", "minimum": 1, "maximum": 65535],
                            "Outbound TCP ports agents may connect to (Landlock ABI 4+); empty: any."),
                    ]),
                "workspaces": object(
                    "Per-issue working directories on workers.",
                    [
                        "root": string(
                            ".baton-workspaces",
                            "Directory holding every workspace; outside the data directory. Default .baton-workspaces, or <data-dir>-workspaces with --data-dir."
                        ),
                        "hooks": object(
                            "Shell commands run in the workspace.",
                            [
                                "after_create": string(nil, "After the workspace is made."),
                                "before_run": string(nil, "Before each attempt."),
                                "after_run": string(nil, "After each attempt."),
                                "before_remove": string(nil, "Before the workspace is removed."),
                            ]),
                        "hook_timeout_ms": integer(
                            60000, 1000, 3_600_000, "A hook running longer is killed with its process group."),
                        "keep_adhoc": boolean(
                            false,
                            "Keep the workspace of a job that belongs to no issue after the job ends (by default it is removed at once; issue workspaces follow the issue)."
                        ),
                    ]),
                "git": object(
                    "Repositories and how issues route to them.",
                    [
                        "repos": array(
                            of: object(
                                "A repository.",
                                [
                                    "name": string(nil, "Name used by routes."), "path": string(nil, "Local checkout."),
                                    "url": string(nil, "Remote URL."), "default_branch": string(nil, "Base branch."),
                                ]), "Known repositories."),
                        "routes": array(
                            of: object(
                                "A routing rule.",
                                [
                                    "labels": strings([], "Labels the issue must have."),
                                    "team": string(nil, "Linear team key."),
                                    "project": string(nil, "Linear project slug."),
                                    "repo": string(nil, "Repository name."),
                                    "base_branch": string(nil, "Branch to start from."),
                                ]), "Rules matching issues to repositories, first match wins."),
                    ]),
                "jobs": object(
                    "Limits on job requests.",
                    [
                        "max_prompt_bytes": integer(
                            262_144, 1, 16_777_216, "Largest prompt plus input a job may carry, in bytes.")
                    ]),
                "templates": object(
                    "What rendering one prompt template may cost, on save, preview and every attempt.",
                    [
                        "max_depth": integer(16, 1, 64, "How deeply if and for blocks may nest."),
                        "max_loop_iterations": integer(
                            10_000, 1, 10_000_000, "Loop iterations one render may run, all loops together."),
                        "max_output_bytes": integer(
                            1_048_576, 1024, 16_777_216, "Largest rendered prompt (and filtered value), in bytes."),
                        "max_render_ms": integer(1000, 10, 60_000, "Longest one render may take, in milliseconds."),
                    ]),
                "router": object(
                    "Choosing a worker for each job.",
                    [
                        "stale_after_s": integer(
                            15, 1, 3600, "A worker is offline after this long without a heartbeat."),
                        "lease_s": integer(30, 1, 3600, "How long a lease lasts without an event."),
                        "max_job_attempts": integer(3, 1, 100, "Expired leases requeue a job up to this many times."),
                        "sticky_issues": integer(
                            10_000, 0, 10_000_000,
                            "Issues per tenant whose last worker the dispatcher remembers for the stickiness score; beyond it the least recently finished are forgotten."
                        ),
                        "weights": object(
                            "Score weights.",
                            [
                                "headroom": integer(35, 0, 100, "Free capacity."),
                                "tier": integer(20, 0, 100, "Tier affinity."),
                                "specialisation": integer(15, 0, 100, "Tag specialisation."),
                                "model_fit": integer(15, 0, 100, "Model fit score."),
                                "reliability": integer(10, 0, 100, "Past success."),
                                "stickiness": integer(5, 0, 100, "Same worker as the issue's last attempt."),
                            ]),
                    ]),
                "budget": object(
                    "Spending limits that raise the killswitch.",
                    [
                        "daily_limit_usd": number(nil, min: 0, "Daily spend limit."),
                        "monthly_limit_usd": number(nil, min: 0, "Monthly spend limit."),
                        "on_exceed_level": integer(2, 0, 4, "Killswitch level raised when a limit is crossed."),
                    ]),
                "dashboard": object(
                    "The operator dashboard's browser sessions (SPEC §2.12).",
                    [
                        "session_ttl_s": integer(
                            43_200, 60, 604_800,
                            "How long a session lasts after signing in; it also ends when its key is revoked or on signing out."
                        ),
                        "secure_cookie": boolean(
                            false,
                            "Mark the session cookie Secure (sent over HTTPS only): set it when a TLS proxy serves Baton. It is also set for a request that arrives with X-Forwarded-Proto: https."
                        ),
                    ]),
                "local_workers": object(
                    "Workers embedded in baton serve.",
                    [
                        "count": integer(1, 0, 64, "How many; 0 turns them off."),
                        "tags": string("local", "Their tags, comma-separated."),
                        "capacity": integer(1, 1, 64, "Jobs each runs at once."),
                    ]),
            ])
        if case .object(var fields) = root {
            fields["$schema"] = "https://json-schema.org/draft/2020-12/schema"
            fields["title"] = "Baton configuration"
            root = .object(fields)
        }
        return root
    }()

    /// Every default in the schema, as one document (objects always present, keys without a
    /// default absent).
    public static let defaults: JSONValue = defaults(of: schema) ?? [:]

    static func defaults(of schema: JSONValue) -> JSONValue? {
        if let value = schema["default"] { return value }
        guard schema["type"] == "object", let properties = schema["properties"]?.objectValue else { return nil }
        var out: [String: JSONValue] = [:]
        for (name, property) in properties {
            if let value = defaults(of: property) { out[name] = value }
        }
        return .object(out)
    }

    /// The schema of the key at `path`, or nil when no such key exists.
    public static func schema(at path: [String], in schema: JSONValue = ConfigSchema.schema) -> JSONValue? {
        var current = schema
        for segment in path {
            if let property = current["properties"]?[segment] {
                current = property
            } else if let additional = current["additionalProperties"], additional.objectValue != nil {
                current = additional
            } else {
                return nil
            }
        }
        return current
    }
}
