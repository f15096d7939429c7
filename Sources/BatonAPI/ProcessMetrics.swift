import BatonCore

#if canImport(Glibc)
    import Glibc
#endif

/// Process-level gauges: start time and resident memory (read from /proc at scrape time).
enum ProcessMetrics {
    static func register(in registry: MetricsRegistry) {
        let started = Double(Timestamp.nowMilliseconds()) / 1000
        _ = try? registry.callbackGauge(
            name: "baton_process_start_time_seconds", help: "Start time of the process since the Unix epoch in seconds."
        ) { started }
        _ = try? registry.callbackGauge(
            name: "baton_process_resident_memory_bytes", help: "Resident memory size in bytes."
        ) { Double(residentBytes() ?? 0) }
    }

    /// Resident set size from /proc/self/statm (second field, in pages).
    static func residentBytes() -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        let fields = String(decoding: buffer[..<n], as: UTF8.self).split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
