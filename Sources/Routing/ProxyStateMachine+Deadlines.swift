import NIOCore

/// The connection's one timer and the deadline of each phase: a head within the idle timeout,
/// a request body that keeps going (H28), the dyno's answer (H12), a response that keeps going
/// and a client that takes it (H15), the next request of a kept-alive connection, an upgraded
/// connection's bytes either way.
///
/// The driver keeps one timer: each event that returns a deadline wants the timer to fire no
/// later than that; when it fires, `timerFired` says what expired or when to look again.
extension ProxyStateMachine {
    /// What the timer found.
    enum Expiry: Hashable {
        /// Nothing expired: fire again no later than this.
        case rearm(NIODeadline)
        /// Answer the request with this error (no response has started).
        case fail(RoutingError)
        /// Hang up at once without an answer (the client has a status line already, or owes
        /// body bytes), logging this error for the exchange if there is one.
        case cut(RoutingError?)
        /// Close the idle connection once what was written has gone out.
        case close
        /// The connection is closed: nothing to do.
        case nothing
    }

    /// The timer fired at `now`: time out a silent dyno (H12), a stalled body (H28), a stalled
    /// response or a client that does not take it (H15), an idle connection or tunnel.
    /// - Parameters:
    ///   - dynoWritable: the dyno connection takes more bytes (false: it is the dyno that
    ///     stopped taking the body).
    ///   - clientWritable: the client's connection takes more bytes (false: it does not read).
    mutating func timerFired(at now: NIODeadline, dynoWritable: Bool, clientWritable: Bool) -> Expiry {
        switch phase {
        case .forwarding:
            return forwardingDeadlines(at: now, dynoWritable: dynoWritable, clientWritable: clientWritable)
        case .discarding:
            // The response went out; the client still owes body bytes and sends them too slowly.
            let deadline = bodyDeadline
            return now >= deadline ? .cut(nil) : .rearm(deadline)
        case .idle:
            // Also closes a client that started a head and stalled.
            let deadline = lastActivity + timeouts.clientIdle
            return now >= deadline ? .close : .rearm(deadline)
        case .tunnel:
            // Idle both ways (a WebSocket nobody uses): both connections close, like Heroku's.
            let deadline = lastActivity + timeouts.tunnelIdle
            return now >= deadline ? .cut(nil) : .rearm(deadline)
        case .routing:
            // The boot wait and the connect timeout have their own timers.
            return .rearm(now + timeouts.clientIdle)
        case .closed:
            return .nothing
        }
    }

    private mutating func forwardingDeadlines(at now: NIODeadline, dynoWritable: Bool, clientWritable: Bool) -> Expiry {
        var next = NIODeadline.distantFuture
        if !requestEnded {
            // The body stalls (H28), unless it is the dyno that stopped taking it.
            let deadline = bodyDeadline
            if now >= deadline {
                switch (request.responseStarted, dynoWritable) {
                case (false, true): return .fail(.clientIdle)
                case (false, false): return .fail(.requestTimeout)
                case (true, true): return .cut(.clientIdle)
                case (true, false): return .cut(.idleConnection)
                }
            }
            next = deadline
        }
        if !request.responseStarted {
            // Heroku's 30 s count from when the whole request went to the dyno (H12).
            if requestEnded {
                let deadline = max(request.sentAt ?? now, bodyActivity) + timeouts.response
                if now >= deadline { return .fail(.requestTimeout) }
                next = min(next, deadline)
            }
        } else {
            let deadline = lastActivity + timeouts.responseIdle
            if now >= deadline { return .cut(.idleConnection) }
            next = min(next, deadline)
            // Heroku's rolling window, here also for a client that takes too little of it.
            if now >= responseWindowStart + timeouts.responseIdle {
                if responseWindowBytes < timeouts.responseMinimumBytes && !clientWritable { return .cut(.idleConnection) }
                openResponseWindow(at: now)
            }
            next = min(next, responseWindowStart + timeouts.responseIdle)
        }
        return .rearm(next)
    }

    /// When the current request body has taken too long: idle for `requestBodyIdle`, or behind
    /// `requestBody` plus a second per `requestBodyMinimumRate` bytes received.
    var bodyDeadline: NIODeadline {
        let rate = Int64(max(1, timeouts.requestBodyMinimumRate))
        let earned = TimeAmount.milliseconds(Int64(min(body.payload, Int.max / 1000)) * 1000 / rate)
        return min(bodyActivity + timeouts.requestBodyIdle, bodyStarted + timeouts.requestBody + earned)
    }
}
