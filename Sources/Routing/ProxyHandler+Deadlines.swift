import NIOCore

/// The connection's one timer; which deadline applies when, and what expires, is
/// `ProxyStateMachine`'s (`ProxyStateMachine+Deadlines.swift`).
extension ProxyHandler {
    /// Makes sure the connection's one timer fires no later than `deadline`.
    func armTimer(_ deadline: NIODeadline) {
        guard deadline < timerDeadline, machine.phase != .closed else { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = pool.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = .distantFuture
            checkDeadlines()
        }
    }

    /// The timer fired: the machine says what expired, or when to look again.
    private func checkDeadlines() {
        switch machine.timerFired(at: .now(), dynoWritable: dynoIsWritable, clientWritable: clientIsWritable) {
        case .rearm(let deadline): armTimer(deadline)
        case .fail(let error): fail(error)
        case .cut(let error): cut(error)
        case .close: closeAfterFlush()
        case .nothing: break
        }
    }
}
