// libFuzzer target: LinearWebhook.parse, what a signed delivery body becomes. It must answer or
// refuse, never trap. See README "Fuzzing".
import BatonIssues

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLinearWebhook(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let delivery = try? LinearWebhook.parse(bytes) else { return 0 }
    precondition(!delivery.type.isEmpty)
    // Only the deliveries Baton acts on need an action; the rest are recorded as ignored.
    if delivery.action.isEmpty, case .ignored = delivery.effect {} else {
        precondition(!delivery.action.isEmpty, "an acted-on delivery without an action")
    }
    if let ms = delivery.timestampMs { precondition(ms >= 0, "timestamp \(ms)") }
    if case .upsert(let issue) = delivery.effect {
        precondition((0...4).contains(issue.priority), "priority \(issue.priority)")
    }
    return 0
}
