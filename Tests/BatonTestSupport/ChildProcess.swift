import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension FileHandle {
    // Shared by every test target that runs a child process.
    /// Everything until end of file. Foundation's `readDataToEndOfFile()` traps when a read is
    /// interrupted by a signal (EINTR); this retries instead.
    public func readAllRetryingInterrupts() -> Data {
        var out = Data()
        while true {
            let chunk = readSomeRetryingInterrupts()
            if chunk.isEmpty { return out }
            out.append(chunk)
        }
    }

    /// One read of what is available (empty at end of file), retried on EINTR.
    public func readSomeRetryingInterrupts() -> Data {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fileDescriptor, $0.baseAddress, $0.count) }
            if n >= 0 { return Data(buffer[0..<n]) }
            if errno != EINTR { return Data() }
        }
    }
}

/// Foundation's `Process.run()` on Linux is not safe to call from several threads at once (it has
/// crashed copying the environment while tests spawned children in parallel): spawn one at a time.
private let spawnLock = NSLock()

extension Process {
    public func runSerialised() throws {
        spawnLock.lock()
        defer { spawnLock.unlock() }
        try run()
    }
}
