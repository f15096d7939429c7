#if canImport(Glibc)
    import Glibc
#endif

/// The one way tests wait for something that happens on another thread: poll `condition` every
/// `interval` until it holds or `timeout` passes, and answer whether it held. Never a fixed sleep
/// before an assertion; a sleep that lets time pass to show something does *not* happen says so.
public func eventually(
    timeout: Duration = .seconds(20), interval: Duration = .milliseconds(10), _ condition: () async -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return await condition()
}

/// The same polling on a thread of its own (inside `offPool`), blocking it between looks: for a
/// wait that is timed, whose figure must not include a turn of a cooperative pool busy with other
/// suites. Never call it on the pool.
public func eventually(
    onThisThread timeout: Duration, interval: Duration = .milliseconds(5), _ condition: () -> Bool
) -> Bool {
    let deadline = ContinuousClock.now + timeout
    let micros = UInt32(interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(micros)
    }
    return condition()
}
