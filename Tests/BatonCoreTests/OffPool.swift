import Foundation

/// Runs blocking test I/O on its own thread, so it never holds one of the cooperative pool's two
/// threads while the server under test needs them.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
