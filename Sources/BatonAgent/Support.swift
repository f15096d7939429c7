import BatonPlatform

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// Runs blocking work (a directory walk) on a thread of its own, not the cooperative pool.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        OSThread.detach(name: "baton-worker-io") { continuation.resume(returning: work()) }
    }
}
