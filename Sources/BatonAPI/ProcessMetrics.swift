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
        guard let file = fopen("/proc/self/statm", "r") else { return nil }
        defer { fclose(file) }
        var size = 0
        var resident = 0
        guard readStatm(file, &size, &resident) else { return nil }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func readStatm(_ file: UnsafeMutablePointer<FILE>, _ size: inout Int, _ resident: inout Int) -> Bool {
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return false }
        let fields = String(cString: buffer).split(separator: " ")
        guard fields.count >= 2, let s = Int(fields[0]), let r = Int(fields[1]) else { return false }
        size = s
        resident = r
        return true
    }
}
