import BatonCore
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonPlatform

/// `/api/v1/config*` and `/api/v1/runtime`. `$secret:` references are shown as written — this API
/// never resolves a secret — and URLs without their credentials. Configuration belongs to the
/// instance: only the system tenant's admins change it (the access policy's instance operations),
/// and other tenants read its tenant view (`ConfigRedaction.tenantView`), marked by the header
/// `Baton-Config-View: tenant`.
enum ConfigRoutes {
    static func register(on router: RouterBuilder, services: CoordinatorServices) {
        let config = services.config
        let events = services.events
        router.get("/api/v1/config") { _, context in
            try view(config.effective, context: context, services: services)
        }
        // Where each value of GET /api/v1/config comes from; a tenant's view names only the
        // values it shows.
        router.get("/api/v1/config/sources") { _, context in
            var sources = config.sources()
            if !services.isSystem(try KeyRoutes.principal(context)) {
                let shown = ConfigRedaction.tenantView(config.effective)
                sources = sources.filter { shown.value(at: $0.key.split(separator: ".").map(String.init)) != nil }
            }
            let body: JSONValue = ["sources": .object(sources.mapValues { .string($0.rawValue) })]
            return .json(.ok, body.text)
        }
        router.get("/api/v1/config/schema") { _, _ in
            let body: JSONValue = [
                "schema": ConfigSchema.schema,
                "examples": [
                    ["server": ["public_metrics": true]],
                    [
                        "agent": ["max_concurrent": 4, "model": "o4-mini"],
                        "tracker": ["kind": "linear", "team_key": "ENG"],
                    ],
                    [
                        "providers": [
                            "openai": [
                                "kind": "openai", "base_url": "https://api.openai.com/v1",
                                "api_key": "$secret:openai_api_key",
                            ]
                        ]
                    ],
                ],
            ]
            return .json(.ok, body.text)
        }
        router.get("/api/v1/config/overlay") { _, context in
            try view(config.overlay, context: context, services: services)
        }
        router.put("/api/v1/config/overlay") { request, context in
            let body = try JSONBody.document(request)
            let changed: [String]
            do {
                changed = try config.replaceOverlay(body)
            } catch let invalid as ConfigStore.Invalid {
                throw invalidError(invalid)
            }
            try await announce(changed, events: events)
            return .json(.ok, ConfigRedaction.stripCredentials(config.overlay).prettyText)
        }
        router.delete("/api/v1/config/overlay/:path") { _, context in
            let path = context.parameter("path") ?? ""
            let changed: [String]
            do {
                changed = try config.deleteOverlay(path: path)
            } catch ConfigStore.PathError.malformed {
                throw HTTPError.badRequest(
                    "\(JSONText.quote(String(path.prefix(100)))) is not a dotted config path such as agent.max_turns")
            } catch ConfigStore.PathError.absent {
                throw HTTPError.notFound("the overlay has no \(JSONText.quote(path))")
            } catch let invalid as ConfigStore.Invalid {
                throw invalidError(invalid)
            }
            try await announce(changed, events: events)
            return HTTPResponse(status: .noContent)
        }
        let started = Timestamp.nowMilliseconds()
        router.get("/api/v1/runtime") { _, context in
            let system = services.isSystem(try KeyRoutes.principal(context))
            let body: JSONValue = [
                "version": .string(BatonVersion.current),
                // Where the instance keeps its files is the instance's business.
                "data_dir": system ? .string(services.dataDir) : .null,
                "started_at": .string(Timestamp.format(milliseconds: started)),
                "uptime_s": .int((Timestamp.nowMilliseconds() - started) / 1000),
                "features": [
                    "tracker_kind": config.value("tracker.kind") ?? .null,
                    "local_workers": config.value("local_workers.count") ?? .null,
                    "public_metrics": config.value("server.public_metrics") ?? .null,
                    "api_keys": true, "audit_log": true, "secrets_vault": true,
                ],
                // What this machine's workers can contain agents with (`sandbox.*`).
                "sandbox": [
                    "mode": config.value("sandbox.mode") ?? .null, "landlock_abi": .int(Int64(Sandbox.abi)),
                    "enforced": .bool(config.value("sandbox.mode")?.stringValue != "off" && Sandbox.isAvailable),
                ],
            ]
            return .json(.ok, body.text)
        }
    }

    static func invalidError(_ invalid: ConfigStore.Invalid) -> HTTPError {
        var details: [String: String] = [:]
        for issue in invalid.issues { details[issue.pointer.isEmpty ? "/" : issue.pointer] = issue.message }
        return HTTPError.badRequest(
            "the overlay does not fit the configuration schema (\(invalid.issues.count) problem\(invalid.issues.count == 1 ? "" : "s"))",
            details: details)
    }

    /// A configuration document as the caller may see it: in full (less URL credentials) for
    /// the system tenant, its tenant view for any other.
    static func view(_ document: JSONValue, context: RequestContext, services: CoordinatorServices) throws
        -> HTTPResponse
    {
        if services.isSystem(try KeyRoutes.principal(context)) {
            return .json(.ok, ConfigRedaction.stripCredentials(document).prettyText)
        }
        var response = HTTPResponse.json(.ok, ConfigRedaction.tenantView(document).prettyText)
        response.headers.add("Baton-Config-View", "tenant")
        return response
    }

    /// A `config.changed` event names the changed paths only: values may be secret references.
    /// It is an instance event (no tenant), so only keys of the system tenant see it.
    static func announce(_ paths: [String], events: EventBus) async throws {
        guard !paths.isEmpty else { return }
        let data: JSONValue = ["paths": .array(paths.map(JSONValue.string))]
        try await events.publish(EventDraft(type: "config.changed", tenant: nil, data: data.text))
    }
}
