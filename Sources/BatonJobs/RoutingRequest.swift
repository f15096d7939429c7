/// What one job asks of a worker.
public struct RoutingRequest: Sendable {
    public var provider: String
    public var model: String?
    public var tier: JobTier
    public var tags: [String]
    /// The worker that ran this job's issue last, whose workspace is warm.
    public var previousWorker: String?

    public init(provider: String, model: String?, tier: JobTier, tags: [String], previousWorker: String? = nil) {
        self.provider = provider
        self.model = model
        self.tier = tier
        self.tags = tags
        self.previousWorker = previousWorker
    }
}
