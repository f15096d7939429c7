import BatonCore
import BatonHTTP

/// The coordinator's routes and middleware, composed once.
public enum CoordinatorRoutes {
    public static func makeRouter(_ services: CoordinatorServices) -> Router {
        let builder = RouterBuilder(log: services.log)
        builder.use(RequestIDMiddleware())
        builder.use(HTTPMetricsMiddleware(registry: services.metrics))
        if services.accessLog {
            builder.use(AccessLogMiddleware(sink: services.log))
        }
        let policy = AccessPolicy(
            systemTenant: services.systemTenant,
            publicMetrics: { [config = services.config] in
                config.value("server.public_metrics") == .bool(true)
            })
        let limited = try? services.metrics.counter(
            name: "baton_rate_limited_total", help: "Requests answered 429 by a rate limit, by class.",
            labelNames: ["class"])
        for routeClass in ["anonymous", "read", "write", "webhook"] { _ = limited?.labels(routeClass) }
        // Keyless requests to routes that need a key are limited per source before they are
        // authenticated or audited; audit then sees every answer below it, auth and the per-key
        // limits included (SPEC §2.7, §2.9).
        builder.use(
            SourceLimitMiddleware(
                credentials: services.credentials, policy: policy, limiter: services.rateLimiter,
                refusedAudit: services.refusedAudit,
                limited: limited?.labels("anonymous")))
        builder.use(
            AuditMiddleware(
                audit: services.audit, refused: services.refusedAudit, credentials: services.credentials,
                log: services.log))
        builder.use(AuthMiddleware(credentials: services.credentials, policy: policy))
        builder.use(RateLimitMiddleware(limiter: services.rateLimiter, limited: limited))
        HealthRoutes.register(on: builder, node: services.node)
        OpenAPIRoutes.register(on: builder)
        DashboardRoutes.register(on: builder)
        MetricsRoutes.register(on: builder, services: services)
        EventRoutes.register(on: builder, services: services)
        KeyRoutes.register(on: builder, keys: services.keys)
        SessionRoutes.register(on: builder, services: services)
        AuditRoutes.register(on: builder, audit: services.audit)
        SecretRoutes.register(on: builder, vault: services.vault)
        ConfigRoutes.register(on: builder, services: services)
        JobRoutes.register(on: builder, dispatcher: services.dispatcher)
        WorkerRoutes.register(on: builder, dispatcher: services.dispatcher)
        KillswitchRoutes.register(on: builder, dispatcher: services.dispatcher)
        CostRoutes.register(on: builder, dispatcher: services.dispatcher)
        IssueRoutes.register(on: builder, services: services)
        TemplateRoutes.register(on: builder, services: services)
        WebhookRoutes.register(on: builder, services: services)
        WorkspaceRoutes.register(on: builder, dispatcher: services.dispatcher)
        ModelRoutes.register(on: builder, services: services)
        GitRoutes.register(on: builder, services: services)
        return builder.build()
    }
}
