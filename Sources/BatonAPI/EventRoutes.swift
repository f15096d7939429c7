import BatonCore
import BatonHTTP
import BatonPlatform

/// `GET /api/v1/events`: Server-Sent Events with an `id:` on every message, resumption after
/// `Last-Event-ID` (header, or `last_event_id` for clients that cannot set headers), filters by
/// type and issue, and a comment heartbeat. A key sees its own tenant's events only, live and
/// replayed; instance events (without a tenant) only a key of the system tenant.
enum EventRoutes {
    static func register(on router: RouterBuilder, services: CoordinatorServices) {
        let bus = services.events
        let heartbeat = services.sseHeartbeat
        let bufferLimit = services.sseBufferLimit
        router.get("/api/v1/events") { request, context in
            let principal = try KeyRoutes.principal(context)
            let filter = EventFilter(
                types: (request.queryValue("types") ?? "").split(separator: ",").map {
                    $0.trimmingSpaces
                }.filter { !$0.isEmpty },
                issue: request.queryValue("issue").flatMap { $0.isEmpty ? nil : $0 },
                tenant: principal.tenant, instance: services.isSystem(principal))
            let lastID = try resumePoint(request)
            let stream = try await bus.subscribe(after: lastID, filter: filter, bufferLimit: bufferLimit)
            let sessionToken = context.storage[KeyCheckKey.self]?.sessionToken
            return HTTPResponse.eventStream { writer in
                // An opening comment sends the headers at once, so clients know they are subscribed.
                try await writer.write(Array(": subscribed\n\n".utf8))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in stream {
                            let message = ServerSentEvent(id: String(event.id), event: event.type, data: event.json)
                            try await writer.write(message.encoded())
                        }
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: heartbeat)
                            try await writer.write(ServerSentEvent.comment("heartbeat"))
                        }
                    }
                    // A stream lives no longer than what opened it: its session (signed out,
                    // expired) or its key (revoked), looked at every second (SPEC §2.12).
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(1))
                            if let sessionToken {
                                if await services.sessions.authenticate(sessionToken) == nil { return }
                            } else if await services.keys.principal(keyID: principal.keyID) == nil {
                                return
                            }
                        }
                    }
                    // Whichever ends first (the subscription, a write to a gone client, or the
                    // credential) ends them all.
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    /// The id to resume after: `Last-Event-ID` wins over `last_event_id`; nil means live events only.
    static func resumePoint(_ request: HTTPRequest) throws -> Int64? {
        let text = request.headers["Last-Event-ID"] ?? request.queryValue("last_event_id")
        guard let text, !text.isEmpty else { return nil }
        guard let id = Int64(text.trimmingSpaces), id >= 0 else {
            throw HTTPError.badRequest("Last-Event-ID must be a non-negative event id, not '\(text.prefix(40))'")
        }
        return id
    }
}

extension StringProtocol {
}
