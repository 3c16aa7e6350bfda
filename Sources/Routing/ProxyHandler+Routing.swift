import Foundation
import NIOCore
import OpenrukoCore

/// From a request head to a dyno connection: host lookup, waiting for booting dynos,
/// round-robin choice, pooled or new connection, and the router's own answers.
extension ProxyHandler {
    /// A request head arrived: rewrite it and find where it goes.
    func begin(_ head: ParsedHead, _ headBytes: ByteBuffer) {
        let now = NIODeadline.now()
        lastActivity = now
        bodyStarted = now
        bodyActivity = now
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
        let body = HeadParser.requestBody(head)
        requestBody = BodyTracker(body)
        exchange = Exchange(
            log: log, request: request, head: head, isHEAD: method == "HEAD", body: body, started: now, startedWall: wall)
        state = .routing
        guard let host else { return fail(.noSuchApp) }
        if let keyAuthorization = challengeAnswer(head, headBytes, host: host) { return answerChallenge(keyAuthorization) }
        route(host)
    }

    /// Asks the route table (again, while the app boots) and acts on the answer.
    func route(_ host: String) {
        guard let exchange else { return }
        switch environment.routes.target(forHost: host) {
        case .unknownHost:
            fail(.noSuchApp)
        case .noWebDynos(_, let appID):
            exchange.appID = appID
            fail(.noWebDynos)
        case .crashed(_, let appID):
            exchange.appID = appID
            fail(.appCrashed)
        case .maintenance(_, let appID):
            exchange.appID = appID
            fail(.maintenance)
        case .starting(_, let appID):
            exchange.appID = appID
            waitForBoot(host)
        case .backends(_, let appID, let backends):
            exchange.appID = appID
            guard !backends.isEmpty else { return fail(.noWebDynos) }
            exchange.backends = backends
            exchange.firstBackend = environment.roundRobin.next(appID, count: backends.count)
            connectNext()
        }
    }

    /// The app's web dynos are booting: look again shortly, until the boot wait runs out (H20).
    private func waitForBoot(_ host: String) {
        guard let exchange else { return }
        let now = NIODeadline.now()
        let deadline = exchange.bootDeadline ?? now + environment.configuration.bootWait
        exchange.bootDeadline = deadline
        guard now < deadline else { return fail(.bootTimeout) }
        let number = exchangeNumber
        pool.eventLoop.assumeIsolated().scheduleTask(in: environment.configuration.bootPollInterval) { [self] in
            guard exchangeNumber == number, state == .routing else { return }
            route(host)
        }
    }

    /// Connects to the next candidate dyno: a pooled connection if there is one.
    func connectNext(error lastError: RoutingError = .connectionRefused) {
        guard let exchange else { return }
        guard exchange.attempts < exchange.backends.count else { return fail(lastError) }
        let backend = exchange.candidate(exchange.attempts)
        exchange.attempts += 1
        exchange.backend = backend
        exchange.log.dyno = backend.dyno
        if exchange.counted != backend.id {
            if let counted = exchange.counted { environment.inFlight.end(counted) }
            environment.inFlight.begin(backend.id)
            exchange.counted = backend.id
        }
        if let connection = pool.take(backend) {
            attach(connection, reused: true, connectTime: 0, now: exchange.attempts == 1 ? exchange.started : .now())
        } else {
            openConnection(to: backend)
        }
    }

    /// Opens a new connection to the exchange's dyno.
    func openConnection(to backend: Backend) {
        let number = exchangeNumber
        let started = NIODeadline.now()
        pool.connect(backend) { [self] result in
            guard exchangeNumber == number, state == .routing else {
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
        exchange.reused = reused
        exchange.log.connect = connectTime
        exchange.sentAt = now
        state = .forwarding
        connection.send(exchange.request)
        backendNeedsFlush = true
        processInbound()
        if !inReadBatch { flushBackendIfNeeded() }
        armTimer(now + environment.configuration.responseTimeout)
    }

    /// Answers the request with one of Heroku's error pages and logs it.
    func fail(_ error: RoutingError) {
        guard let exchange else { return }
        self.exchange = nil
        if let connection = exchange.connection {
            connection.owner = nil
            connection.close()
        }
        if let counted = exchange.counted { environment.inFlight.end(counted) }
        let now = NIODeadline.now()
        exchange.log.error = error
        exchange.log.status = error.status
        if exchange.backend != nil { finishLog(exchange, now: now) }
        emit(exchange, now: now)

        let keepAlive =
            exchange.clientKeepAlive && !closeWhenIdle && !exchange.wantsUpgrade
            && (exchange.requestEnded || !exchange.expectsBody)
        var answer = allocator.buffer(capacity: 1024)
        HeadWriter.writeAnswer(
            status: error.status, reason: error.reason, body: error.html,
            contentType: "text/html; charset=utf-8", keepAlive: keepAlive, via: forwarding.via, includeBody: !exchange.isHEAD,
            into: &answer)
        write(answer)
        lastActivity = now
        guard keepAlive else { return closeAfterFlush() }
        flushClientIfNeeded()
        state = requestBody.isComplete ? .idle : .discarding
        processInbound()
    }

    /// Hangs up on a connection that stopped making progress, without an answer (the client
    /// already has a status line, or owes body bytes): logs `error` for the exchange, if any,
    /// and closes at once, dropping what is still queued for a client that does not read.
    func cut(_ error: RoutingError?) {
        if let exchange {
            self.exchange = nil
            if let connection = exchange.connection {
                connection.owner = nil
                connection.close()
            }
            if let counted = exchange.counted { environment.inFlight.end(counted) }
            if let error {
                let now = NIODeadline.now()
                exchange.log.error = error
                exchange.log.status = error.status
                finishLog(exchange, now: now)
                emit(exchange, now: now)
            }
        }
        state = .closed
        context?.close(promise: nil)
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
        if let sentAt = exchange.sentAt {
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
