import BatonPlatform
import BatonTestSupport
import Foundation
import Testing

@testable import BatonStore

/// A fresh directory per test, removed afterwards.
@discardableResult
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("baton-store-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    do {
        let result = try await body(path)
        try? FileManager.default.removeItem(atPath: path)
        return result
    } catch {
        try? FileManager.default.removeItem(atPath: path)
        throw error
    }
}

/// A database in a fresh directory, closed and removed afterwards.
@discardableResult
func withDatabase<T>(
    configuration: DatabaseConfiguration = .init(),
    _ body: (Database, String) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        let path = directory + "/test.sqlite"
        let db = try Database(path: path, configuration: configuration)
        do {
            let result = try await body(db, path)
            await db.close()
            return result
        } catch {
            await db.close()
            throw error
        }
    }
}

/// Runs blocking code on a thread of its own, never on the cooperative pool.
func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        OSThread.detach(name: "store-test") { continuation.resume(with: Result { try body() }) }
    }
}

/// How long a test holds a database thread (on a semaphore it releases itself) before the thread
/// lets go on its own: only so a test that fails early cannot hang the suite. It is never what a
/// test measures, so it is far longer than any step takes on a loaded machine, whose cooperative
/// pool (2 threads on 2 cores) other suites can keep busy for many seconds at a time.
let holdLimit: DispatchTimeInterval = .seconds(120)

/// How long a test waits for tasks it started to reach the database's queue (each must first get a
/// turn on that busy pool): shorter than `holdLimit`, so a gate still holds while it waits.
let queueLimit: Duration = .seconds(60)

/// Holds the writer thread inside a write closure until `release()`, so later writes queue up.
/// Dropping the gate (a test that left its scope early) releases it too.
final class WriterGate: Sendable {
    private let gate = DispatchSemaphore(value: 0)
    /// Whether the writer let go on its own, after `holdLimit`, before `release()`.
    private let task: Task<Bool, any Error>

    init(_ db: Database) async throws {
        let (started, continuation) = AsyncStream<Void>.makeStream()
        task = Task { [gate] in
            try await db.write { _ in
                continuation.yield()
                return gate.wait(timeout: .now() + holdLimit) == .timedOut
            }
        }
        for await _ in started { break }
    }

    func release() async throws {
        gate.signal()
        let openedOnItsOwn = try await task.value
        #expect(!openedOnItsOwn, "the writer gate opened on its own before release()")
    }

    deinit { gate.signal() }
}

struct Boom: Error, Equatable {}

extension Database {
    /// The first column of each row (read by position, which only BatonStore itself may do).
    func ints(_ sql: String) async throws -> [Int] {
        try await read { try $0.query(sql).compactMap { $0.values.first?.intValue } }
    }
}
