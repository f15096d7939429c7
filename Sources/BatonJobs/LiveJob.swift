/// The unfinished part of a job that scheduling needs, kept in memory.
struct LiveJob: Sendable {
    var id: Int64
    var tenant: String
    var status: JobStatus
    var priority: JobPriority
    var provider: String
    var model: String?
    var tier: JobTier
    var tags: [String]
    var issue: String?
    var worker: String?
    var attempt: Int
    var leaseToken: String?
    var leaseExpiresMs: Int64?
    /// When it last entered the queue, for the dispatch latency histogram.
    var queuedAtMs: Int64

    init(
        id: Int64, tenant: String, status: JobStatus, priority: JobPriority, provider: String, model: String?,
        tier: JobTier, tags: [String], issue: String?, worker: String?, attempt: Int, leaseToken: String?,
        leaseExpiresMs: Int64?, queuedAtMs: Int64
    ) {
        self.id = id
        self.tenant = tenant
        self.status = status
        self.priority = priority
        self.provider = provider
        self.model = model
        self.tier = tier
        self.tags = tags
        self.issue = issue
        self.worker = worker
        self.attempt = attempt
        self.leaseToken = leaseToken
        self.leaseExpiresMs = leaseExpiresMs
        self.queuedAtMs = queuedAtMs
    }

    init(_ job: Job, queuedAtMs: Int64) {
        id = job.id
        tenant = job.tenant
        status = job.status
        priority = job.priority
        provider = job.provider
        model = job.model
        tier = job.tier
        tags = job.tags
        issue = job.issue
        worker = job.worker
        attempt = job.attempt
        leaseToken = job.leaseToken
        leaseExpiresMs = job.leaseExpiresMs
        self.queuedAtMs = queuedAtMs
    }

    var routingRequest: RoutingRequest {
        RoutingRequest(provider: provider, model: model, tier: tier, tags: tags)
    }
}
