import NIOCore

/// The connection's one timer and the deadline of each state: a head within the idle timeout,
/// a request body that keeps going (H28), the dyno's answer (H12), a response that keeps
/// going and a client that takes it (H15), the next request of a kept-alive connection, an
/// upgraded connection's bytes either way.
extension ProxyHandler {
    /// Makes sure the connection's one timer fires no later than `deadline`.
    func armTimer(_ deadline: NIODeadline) {
        guard deadline < timerDeadline, state != .closed else { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = pool.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = .distantFuture
            checkDeadlines()
        }
    }

    /// The timer fired: time out a silent dyno (H12) or an idle client, then re-arm.
    private func checkDeadlines() {
        let now = NIODeadline.now()
        let configuration = environment.configuration
        switch state {
        case .forwarding:
            guard let exchange else { return armTimer(now + configuration.clientIdleTimeout) }
            var next = NIODeadline.distantFuture
            if !exchange.requestEnded {
                // The body stalls (H28), unless it is the dyno that stopped taking it.
                let deadline = bodyDeadline(configuration)
                if now >= deadline {
                    let dynoStalled = exchange.connection?.isWritable == false
                    switch (exchange.responseStarted, dynoStalled) {
                    case (false, false): return fail(.clientIdle)
                    case (false, true): return fail(.requestTimeout)
                    case (true, false): return cut(.clientIdle)
                    case (true, true): return cut(.idleConnection)
                    }
                }
                next = deadline
            }
            if !exchange.responseStarted {
                // Heroku's 30 s count from when the whole request went to the dyno (H12).
                if exchange.requestEnded {
                    let deadline = max(exchange.sentAt ?? now, bodyActivity) + configuration.responseTimeout
                    if now >= deadline { return fail(.requestTimeout) }
                    next = min(next, deadline)
                }
            } else {
                let deadline = lastActivity + configuration.responseIdleTimeout
                if now >= deadline { return cut(.idleConnection) }
                next = min(next, deadline)
                // Heroku's rolling window, here also for a client that takes too little of it.
                if now >= responseWindowStart + configuration.responseIdleTimeout {
                    if responseWindowBytes < configuration.responseMinimumBytes && !clientIsWritable { return cut(.idleConnection) }
                    responseWindowStart = now
                    responseWindowBytes = 0
                }
                next = min(next, responseWindowStart + configuration.responseIdleTimeout)
            }
            armTimer(next)
        case .discarding:
            // The response went out; the client still owes body bytes and sends them too slowly.
            let deadline = bodyDeadline(configuration)
            if now >= deadline { return cut(nil) }
            armTimer(deadline)
        case .idle:
            // Also closes a client that started a head and stalled.
            let deadline = lastActivity + configuration.clientIdleTimeout
            if now >= deadline { return closeAfterFlush() }
            armTimer(deadline)
        case .tunnel:
            // Idle both ways (a WebSocket nobody uses): both connections close, like Heroku's.
            let deadline = lastActivity + configuration.tunnelIdleTimeout
            guard now >= deadline else { return armTimer(deadline) }
            tunnel?.owner = nil
            tunnel?.close()
            tunnel = nil
            cut(nil)
        case .closed:
            return
        default:
            armTimer(now + configuration.clientIdleTimeout)
        }
    }

    /// When the current request body has taken too long: idle for `requestBodyIdleTimeout`, or
    /// behind `requestBodyTimeout` plus a second per `requestBodyMinimumRate` bytes received.
    private func bodyDeadline(_ configuration: RouterConfiguration) -> NIODeadline {
        let rate = Int64(max(1, configuration.requestBodyMinimumRate))
        let earned = TimeAmount.milliseconds(Int64(min(requestBody.payload, Int.max / 1000)) * 1000 / rate)
        return min(bodyActivity + configuration.requestBodyIdleTimeout, bodyStarted + configuration.requestBodyTimeout + earned)
    }
}
