import Foundation
import NIOCore
import OpenrukoCore

/// From a request head to a dyno connection: host lookup, waiting for booting dynos,
/// round-robin choice, pooled or new connection, and the router's own answers.
extension ProxyHandler {
    /// A request head arrived: rewrite it and find where it goes.
    func begin(_ head: ParsedHead, _ headBytes: ByteBuffer) {
        let now = NIODeadline.now()
        exchangeNumber &+= 1
        let host = RequestHost.of(head, in: headBytes)
        let wall = Date()
        let millisecondsSince1970 = Int64(wall.timeIntervalSince1970 * 1000)
        var request = allocator.buffer(capacity: headBytes.readableBytes + 256)
        let (requestID, forwardedFor) = HeadWriter.writeRequest(
            head, from: headBytes, context: forwarding, requestStart: millisecondsSince1970,
            makeRequestID: { RequestID.generate(using: &random) }, into: &request)
        let method = HeadWriter.string(headBytes, head.method)
        let log = RouterLogEntry(
            method: method, path: HeadWriter.string(headBytes, head.target), host: host ?? "", requestID: requestID,
            forwardedFor: forwardedFor, status: 0, proto: forwarding.proto)
        machine.headParsed(keepAlive: head.keepAlive, wantsUpgrade: head.wantsUpgrade, body: HeadParser.requestBody(head), at: now)
        exchange = Exchange(
            log: log, request: request, clientMinorVersion: head.minorVersion, isHEAD: method == "HEAD", started: now, startedWall: wall)
        guard let host else { return fail(.noSuchApp) }
        if let keyAuthorization = challengeAnswer(head, headBytes, host: host) { return answerChallenge(keyAuthorization) }
        route(host)
    }

    /// Asks the route table (again, while the app boots) and acts on the answer.
    func route(_ host: String) {
        guard let exchange else { return }
        let target = environment.routes.target(forHost: host)
        if let appID = target.appID { exchange.appID = appID }
        switch machine.routed(target) {
        case .fail(let error):
            fail(error)
        case .waitForBoot:
            waitForBoot(host)
        case .connect(let appID, let backends):
            exchange.backends = backends
            exchange.firstBackend = environment.roundRobin.next(appID, count: backends.count)
            connectNext()
        }
    }

    /// The app's web dynos are booting: look again shortly, until the boot wait runs out (H20).
    private func waitForBoot(_ host: String) {
        guard machine.appStarting(at: .now(), bootWait: environment.configuration.bootWait) else { return fail(.bootTimeout) }
        let number = exchangeNumber
        pool.eventLoop.assumeIsolated().scheduleTask(in: environment.configuration.bootPollInterval) { [self] in
            guard exchangeNumber == number, machine.phase == .routing else { return }
            route(host)
        }
    }

    /// Connects to the next candidate dyno: a pooled connection if there is one.
    func connectNext(error lastError: RoutingError = .connectionRefused) {
        guard let exchange else { return }
        let attempt: Int
        switch machine.nextCandidate(of: exchange.backends.count, lastError: lastError) {
        case .attempt(let next): attempt = next
        case .fail(let error): return fail(error)
        }
        let backend = exchange.candidate(attempt)
        exchange.backend = backend
        exchange.log.dyno = backend.dyno
        if exchange.counted != backend.id {
            if let counted = exchange.counted { environment.inFlight.end(counted) }
            environment.inFlight.begin(backend.id)
            exchange.counted = backend.id
        }
        if let connection = pool.take(backend) {
            attach(connection, reused: true, connectTime: 0, now: attempt == 0 ? exchange.started : .now())
        } else {
            openConnection(to: backend)
        }
    }

    /// Opens a new connection to the exchange's dyno.
    func openConnection(to backend: Backend) {
        let number = exchangeNumber
        let started = NIODeadline.now()
        pool.connect(backend) { [self] result in
            guard exchangeNumber == number, machine.phase == .routing else {
                if case .success(let connection) = result { pool.release(connection) }
                return
            }
            switch result {
            case .success(let connection):
                let now = NIODeadline.now()
                attach(connection, reused: false, connectTime: Exchange.milliseconds(since: started, now: now), now: now)
            case .failure(let error):
                if case .connectTimeout = error as? ChannelError {
                    connectNext(error: .connectTimeout)
                } else {
                    connectNext(error: .connectionRefused)
                }
            }
        }
    }

    /// Sends the request head (and whatever body has arrived) on `connection`.
    func attach(_ connection: BackendConnection, reused: Bool, connectTime: Int, now: NIODeadline) {
        guard let exchange else { return }
        connection.owner = self
        connection.expectResponse(toHEAD: exchange.isHEAD)
        exchange.connection = connection
        exchange.log.connect = connectTime
        let deadline = machine.connected(reused: reused, at: now)
        connection.send(exchange.request)
        backendNeedsFlush = true
        processInbound()
        if !inReadBatch { flushBackendIfNeeded() }
        armTimer(deadline)
    }

    /// Answers the request with one of Heroku's error pages and logs it.
    func fail(_ error: RoutingError) {
        guard let exchange = detachExchange() else { return }
        let now = NIODeadline.now()
        exchange.log.error = error
        exchange.log.status = error.status
        if exchange.backend != nil { finishLog(exchange, now: now) }
        emit(exchange, now: now)

        let after = machine.answer(at: now)
        let keepAlive = after != .close
        var answer = allocator.buffer(capacity: 1024)
        HeadWriter.writeAnswer(
            status: error.status, reason: error.reason, body: error.html,
            contentType: "text/html; charset=utf-8", keepAlive: keepAlive, via: forwarding.via, includeBody: !exchange.isHEAD,
            into: &answer)
        write(answer)
        guard keepAlive else { return closeAfterFlush() }
        flushClientIfNeeded()
        processInbound()
    }

    /// Hangs up on a connection that stopped making progress, without an answer (the client
    /// already has a status line, or owes body bytes): logs `error` for the exchange, if any,
    /// and closes at once (the tunnel's dyno connection too), dropping what is still queued
    /// for a client that does not read.
    func cut(_ error: RoutingError?) {
        abandonExchange(logging: error)
        if let tunnel {
            self.tunnel = nil
            tunnel.owner = nil
            tunnel.close()
        }
        _ = machine.close()
        context?.close(promise: nil)
    }

    /// Ends the current exchange, if any, without an answer: closes its dyno connection and
    /// logs `error` (nothing when nil).
    func abandonExchange(logging error: RoutingError?) {
        guard let exchange = detachExchange() else { return }
        if let error {
            let now = NIODeadline.now()
            exchange.log.error = error
            exchange.log.status = error.status
            finishLog(exchange, now: now)
            emit(exchange, now: now)
        }
    }

    /// Takes the current exchange off the connection, if any: closes its dyno connection and
    /// ends its in-flight count.
    private func detachExchange() -> Exchange? {
        guard let exchange else { return nil }
        self.exchange = nil
        if let connection = exchange.connection {
            connection.owner = nil
            connection.close()
        }
        if let counted = exchange.counted { environment.inFlight.end(counted) }
        return exchange
    }

    /// Answers a request whose head could not be read, then hangs up (nothing is logged: the
    /// app is unknown).
    func refuse(_ error: any Error) {
        let (status, reason): (Int, String) =
            switch error as? HTTPHeadError {
            case .tooLarge: (431, "Request Header Fields Too Large")
            case .unsupportedVersion: (505, "HTTP Version Not Supported")
            case .unsupportedTransferCoding: (501, "Not Implemented")
            case .malformed, nil: (400, "Bad Request")
            }
        var answer = allocator.buffer(capacity: 256)
        HeadWriter.writeAnswer(
            status: status, reason: reason, body: reason + "\n", contentType: "text/plain; charset=utf-8", keepAlive: false,
            via: forwarding.via, includeBody: true, into: &answer)
        write(answer)
        closeAfterFlush()
    }

    /// Fills in dyno timing and size for the log line.
    func finishLog(_ exchange: Exchange, now: NIODeadline) {
        if let sentAt = machine.request.sentAt {
            exchange.log.service = Exchange.milliseconds(since: sentAt, now: now)
        } else if exchange.log.connect == nil {
            exchange.log.connect = Exchange.milliseconds(since: exchange.started, now: now)
        }
        exchange.log.connect = exchange.log.connect ?? 0
        exchange.log.service = exchange.log.service ?? 0
        exchange.log.bytes = exchange.bytes
    }

    /// Sends the exchange's line to the app's log (requests for no app are logged nowhere).
    func emit(_ exchange: Exchange, now: NIODeadline) {
        guard let appID = exchange.appID else { return }
        environment.logs.emit(
            LogLine(
                timestamp: exchange.wallClock(at: now), appID: appID, source: "heroku", process: "router",
                message: exchange.log.message(using: &logScratch)))
    }
}

extension RouteTarget {
    /// The app the host belongs to, if any.
    fileprivate var appID: UUID? {
        switch self {
        case .backends(_, let appID, _), .starting(_, let appID), .crashed(_, let appID), .noWebDynos(_, let appID),
            .maintenance(_, let appID):
            appID
        case .unknownHost:
            nil
        }
    }
}
