import CCurl
import Synchronization

/// One curl multi handle driven by one dedicated thread. Other threads only touch `inbox` (under
/// its lock) and call `curl_multi_wakeup`, the one multi call libcurl allows from any thread.
final class CurlMultiLoop: @unchecked Sendable {
    // @unchecked: `multi` is used by the loop thread, plus `curl_multi_wakeup` under the inbox lock
    // while `closed` is false; `transfers` belongs to the loop thread alone.
    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    private var transfers: [UInt64: CurlTransfer] = [:]

    private struct Submission: Sendable {
        let request: HTTPClientRequest
        let completion: CurlTransfer.Completion
    }

    /// Where a request is, so a cancellation arriving at any moment reaches it exactly once.
    private enum Phase {
        case registered  // id handed out, not yet submitted
        case queued(Submission)  // waiting for the loop to pick it up
        case running  // the loop owns it
        case cancelRequested  // cancelled before it was submitted
    }

    private struct Inbox {
        var nextID: UInt64 = 1
        var phases: [UInt64: Phase] = [:]
        var queued: [UInt64] = []
        var cancelled: [UInt64] = []
        var stopping = false
        var closed = false
    }

    init?() {
        guard CurlGlobal.ensureInitialized(), let multi = baton_curl_multi_init() else { return nil }
        self.multi = multi
        CurlLoopThread.start { self.run() }
    }

    /// Reserves an id before the caller suspends, so `cancel` can arrive before `submit`.
    /// Nil once the loop is shutting down.
    func register() -> UInt64? {
        inbox.withLock { inbox in
            guard !inbox.stopping else { return nil }
            let id = inbox.nextID
            inbox.nextID += 1
            inbox.phases[id] = .registered
            return id
        }
    }

    func submit(_ id: UInt64, _ request: HTTPClientRequest, _ completion: CurlTransfer.Completion) {
        let accepted = inbox.withLock { inbox -> Bool in
            guard case .registered = inbox.phases[id], !inbox.stopping else {
                inbox.phases[id] = nil
                return false
            }
            inbox.phases[id] = .queued(Submission(request: request, completion: completion))
            inbox.queued.append(id)
            wakeLocked(inbox)
            return true
        }
        if !accepted { completion.resume(returning: .failure(.cancelled)) }
    }

    func cancel(_ id: UInt64) {
        let dropped: Submission? = inbox.withLock { inbox in
            switch inbox.phases[id] {
            case .registered:
                inbox.phases[id] = .cancelRequested
            case .queued(let submission):
                inbox.phases[id] = nil
                inbox.queued.removeAll { $0 == id }
                return submission
            case .running:
                inbox.cancelled.append(id)
                wakeLocked(inbox)
            case .cancelRequested, nil:
                break
            }
            return nil
        }
        dropped?.completion.resume(returning: .failure(.cancelled))
    }

    /// Fails every pending and running request with `cancelled` and stops the thread.
    func shutdown() {
        inbox.withLock { inbox in
            inbox.stopping = true
            wakeLocked(inbox)
        }
    }

    private func wakeLocked(_ inbox: borrowing Inbox) {
        if !inbox.closed { _ = baton_curl_multi_wakeup(multi) }
    }

    // MARK: - Loop thread

    private func run() {
        while true {
            let (starts, cancels, stopping) = inbox.withLock { inbox in
                let starts = inbox.queued.compactMap { id -> (UInt64, Submission)? in
                    guard case .queued(let submission) = inbox.phases[id] else { return nil }
                    inbox.phases[id] = .running
                    return (id, submission)
                }
                let work = (starts, inbox.cancelled, inbox.stopping)
                inbox.queued.removeAll()
                inbox.cancelled.removeAll()
                return work
            }
            for (id, submission) in starts { start(id, submission) }
            for id in cancels { complete(id, .failure(.cancelled)) }
            if stopping { break }

            var running: Int32 = 0
            _ = baton_curl_multi_perform(multi, &running)
            collectFinished()
            // Sleeps until a socket is ready, a curl timer is due, or another thread wakes us.
            _ = baton_curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        stop()
    }

    private func start(_ id: UInt64, _ submission: Submission) {
        let transfer: CurlTransfer
        do {
            transfer = try CurlTransfer(
                id: id, request: submission.request, completion: submission.completion)
        } catch {
            inbox.withLock { _ = $0.phases.removeValue(forKey: id) }
            submission.completion.resume(returning: .failure(error))
            return
        }
        guard baton_curl_multi_add_handle(multi, transfer.easy) == CURLM_OK else {
            inbox.withLock { _ = $0.phases.removeValue(forKey: id) }
            transfer.finish(.failure(.transport(code: -1, message: "curl_multi_add_handle failed")))
            return
        }
        transfers[id] = transfer
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = baton_curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE else { continue }
            let easy = message.pointee.easy_handle
            let code = baton_curl_msg_result(message)
            // Few transfers run at once, so a scan beats keeping a second index.
            guard let transfer = transfers.values.first(where: { $0.easy == easy }) else { continue }
            complete(transfer.id, transfer.result(for: code))
        }
    }

    /// Detaches a transfer (finished or not) from the multi handle and resumes its caller.
    private func complete(_ id: UInt64, _ result: Result<HTTPClientResponse, HTTPClientError>) {
        guard let transfer = transfers.removeValue(forKey: id) else { return }
        _ = baton_curl_multi_remove_handle(multi, transfer.easy)
        inbox.withLock { _ = $0.phases.removeValue(forKey: id) }
        transfer.finish(result)
    }

    private func stop() {
        for id in Array(transfers.keys) { complete(id, .failure(.cancelled)) }
        let leftovers = inbox.withLock { inbox -> [Submission] in
            inbox.closed = true
            let leftovers = inbox.phases.values.compactMap { phase -> Submission? in
                if case .queued(let submission) = phase { return submission }
                return nil
            }
            inbox.phases.removeAll()
            inbox.queued.removeAll()
            return leftovers
        }
        for submission in leftovers { submission.completion.resume(returning: .failure(.cancelled)) }
        baton_curl_multi_cleanup(multi)
    }
}
