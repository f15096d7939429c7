// libFuzzer target: LinearWebhook.parse, what a signed delivery body becomes, outside and in
// agent mode (AgentSessionEvent read in its own shape). It must answer or refuse, never trap.
// See README "Fuzzing".
import BatonIssues

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLinearWebhook(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let delivery = try? LinearWebhook.parse(bytes, agentSessions: true),
        case .agentSession(let event) = delivery.effect
    {
        precondition(!event.sessionID.isEmpty && event.sessionID.utf8.count <= AgentSessionEvent.maxIDBytes)
        precondition(event.guidance.count <= AgentSessionEvent.maxListCount)
        precondition(event.previousComments.count <= AgentSessionEvent.maxListCount)
        precondition((event.promptContext?.unicodeScalars.count ?? 0) <= AgentSessionEvent.maxTextCodePoints)
        precondition(event.action != .prompted || event.prompt != nil, "a prompted event without its prompt")
        if let signal = event.prompt?.signal { precondition(AgentSessionEvent.signals.contains(signal)) }
    }
    guard let delivery = try? LinearWebhook.parse(bytes) else { return 0 }
    precondition(!delivery.type.isEmpty)
    // Only the deliveries Baton acts on need an action; the rest are recorded as ignored.
    if delivery.action.isEmpty, case .ignored = delivery.effect {
    } else {
        precondition(!delivery.action.isEmpty, "an acted-on delivery without an action")
    }
    if let ms = delivery.timestampMs { precondition(ms >= 0, "timestamp \(ms)") }
    if case .upsert(let issue) = delivery.effect {
        precondition((0...4).contains(issue.priority), "priority \(issue.priority)")
    }
    return 0
}
