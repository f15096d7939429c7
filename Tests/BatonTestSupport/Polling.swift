#if canImport(Glibc)
    import Glibc
#endif

/// The one way tests wait for something that happens on another thread: poll `condition` every
/// `interval` until it holds or `timeout` passes, and answer whether it held. Never a fixed sleep
/// before an assertion; a sleep that lets time pass to show something does *not* happen says so.
///
/// `timeout` counts the time this poller got to run: a look that comes more than a second after
/// the one before (the cooperative pool held by other suites, or the machine stalled) counts as
/// one second, since what the test waits for was most likely held up too. Without that, a stall
/// as long as the timeout failed waits for things that had not yet had a turn to happen.
public func eventually(
    timeout: Duration = .seconds(20), interval: Duration = .milliseconds(10), _ condition: () async -> Bool
) async -> Bool {
    let clock = ContinuousClock()
    var waited = Duration.zero
    var last = clock.now
    while waited < timeout {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
        let now = clock.now
        waited += min(now - last, .seconds(1))
        last = now
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
