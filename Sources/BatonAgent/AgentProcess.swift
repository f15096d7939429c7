import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// How runners drive an agent's process: the prompt on stdin, then its exit awaited, with the
/// whole process group ended when the task is cancelled (SIGTERM, SIGKILL `grace` seconds later)
/// and whatever it left running killed afterwards.
extension Subprocess {
    /// Writes `prompt` to stdin and closes it, on a thread of its own: a child that does not read
    /// its input must not block the runner.
    func feed(_ prompt: String) {
        OSThread.detach(name: "agent-stdin") {
            self.write(prompt)
            self.closeInput()
        }
    }

    /// The exit code; cancelling the calling task ends the process group.
    func exitEndingGroupOnCancel(grace: Double = 2) async -> Int32 {
        let status = await withTaskCancellationHandler {
            await exitCode()
        } onCancel: {
            endGroup(grace: grace)
        }
        signalGroup(SIGKILL)  // whatever it left running in its group
        return status
    }

    /// SIGTERM to the group now, SIGKILL `grace` seconds later, without waiting: safe to call
    /// from async code (the waiter thread reaps the child).
    func endGroup(grace: Double = 1) {
        signalGroup(SIGTERM)
        OSThread.detach(name: "agent-kill") {
            usleep(UInt32(grace * 1_000_000))
            self.signalGroup(SIGKILL)
        }
    }
}
