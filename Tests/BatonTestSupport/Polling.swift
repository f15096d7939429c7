/// The one way tests wait for something that happens on another thread: poll `condition` every
/// `interval` until it holds or `timeout` passes, and answer whether it held. Never a fixed sleep
/// before an assertion.
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
