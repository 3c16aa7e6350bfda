import Foundation
import NIOCore
import NIOHTTP1
import OpenrukoCore

/// From a request head to a dyno connection: host lookup, waiting for booting dynos,
/// round-robin choice, pooled or new connection, and the router's own error answers.
extension ProxyHandler {
    /// A request head arrived: rewrite it and find where it goes.
    func begin(_ head: HTTPRequestHead) {
        let now = NIODeadline.now()
        lastActivity = now
        exchangeNumber &+= 1
        let host = RequestHost.of(head)
        let millisecondsSince1970 = Int64(Date().timeIntervalSince1970 * 1000)
        let forwarded = HeaderRewriter.forward(head, context: forwarding, requestStart: millisecondsSince1970) {
            RequestID.generate(using: &random)
        }
        let log = RouterLogEntry(
            method: head.method.rawValue, path: head.uri, host: host ?? "", requestID: forwarded.requestID,
            forwardedFor: forwarded.forwardedFor, status: 0, proto: forwarding.proto)
        exchange = Exchange(log: log, forwarded: forwarded, client: head, started: now)
        state = .routing
        guard let host else { return fail(.noSuchApp) }
        route(host)
    }

    /// Asks the route table (again, while the app boots) and acts on the answer.
    func route(_ host: String) {
        switch environment.routes.target(forHost: host) {
        case .unknownHost:
            fail(.noSuchApp)
        case .noWebDynos(_, let appID):
            exchange!.appID = appID
            fail(.noWebDynos)
        case .crashed(_, let appID):
            exchange!.appID = appID
            fail(.appCrashed)
        case .starting(_, let appID):
            exchange!.appID = appID
            waitForBoot(host)
        case .backends(_, let appID, let backends):
            exchange!.appID = appID
            guard !backends.isEmpty else { return fail(.noWebDynos) }
            let first = environment.roundRobin.next(appID, count: backends.count)
            exchange!.candidates = Array(backends[first...] + backends[..<first])
            connectNext()
        }
    }

    /// The app's web dynos are booting: look again shortly, until the boot wait runs out (H20).
    private func waitForBoot(_ host: String) {
        let now = NIODeadline.now()
        let deadline = exchange!.bootDeadline ?? now + environment.configuration.bootWait
        exchange!.bootDeadline = deadline
        guard now < deadline else { return fail(.bootTimeout) }
        let number = exchangeNumber
        context.eventLoop.assumeIsolated().scheduleTask(in: environment.configuration.bootPollInterval) { [self] in
            guard exchangeNumber == number, state == .routing else { return }
            route(host)
        }
    }

    /// Connects to the next candidate dyno: a pooled connection if there is one.
    func connectNext(error lastError: RoutingError = .connectionRefused) {
        guard var exchange, exchange.attempts < exchange.candidates.count else { return fail(lastError) }
        let backend = exchange.candidates[exchange.attempts]
        exchange.attempts += 1
        exchange.backend = backend
        exchange.log.dyno = backend.dyno
        if exchange.counted != backend.id {
            if let counted = exchange.counted { environment.inFlight.end(counted) }
            environment.inFlight.begin(backend.id)
            exchange.counted = backend.id
        }
        self.exchange = exchange
        if let connection = pool.take(backend) {
            attach(connection, reused: true, connectTime: 0)
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
                attach(connection, reused: false, connectTime: Exchange.milliseconds(since: started, now: .now()))
            case .failure(let error):
                if case .connectTimeout = error as? ChannelError {
                    connectNext(error: .connectTimeout)
                } else {
                    connectNext(error: .connectionRefused)
                }
            }
        }
    }

    /// Sends the request (and whatever body is queued) on `connection`.
    func attach(_ connection: BackendConnection, reused: Bool, connectTime: Int) {
        connection.owner = self
        exchange!.connection = connection
        exchange!.reused = reused
        exchange!.log.connect = connectTime
        let now = NIODeadline.now()
        exchange!.sentAt = now
        state = .forwarding
        connection.write(.head(exchange!.request))
        if exchange!.requestEnded {
            connection.write(.end(nil))  // a replayed request without body
        }
        backendNeedsFlush = true
        drainQueue()
        if !inReadBatch { flushBackendIfNeeded() }
        armTimer(now + environment.configuration.responseTimeout)
    }

    /// Answers the request with one of Heroku's error pages and logs it.
    func fail(_ error: RoutingError) {
        guard var exchange else { return }
        self.exchange = nil
        if let connection = exchange.connection {
            connection.owner = nil
            connection.close()
        }
        if let counted = exchange.counted { environment.inFlight.end(counted) }
        let now = NIODeadline.now()
        exchange.log.error = error
        exchange.log.status = Int(error.status.code)
        if exchange.backend != nil {
            finishLog(&exchange, now: now)
        }
        emit(exchange)

        let keepAlive =
            exchange.clientKeepAlive && !closeWhenIdle && !exchange.wantsUpgrade
            && (exchange.requestEnded || !exchange.expectsBody)
        let page = ByteBuffer(string: error.html)
        var headers = HTTPHeaders()
        headers.reserveCapacity(5)
        headers.add(name: "content-type", value: "text/html; charset=utf-8")
        headers.add(name: "content-length", value: String(page.readableBytes))
        headers.add(name: "cache-control", value: "no-cache, no-store")
        headers.add(name: "via", value: forwarding.via)
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        write(.head(HTTPResponseHead(version: .http1_1, status: error.status, headers: headers)))
        if exchange.method != .HEAD { write(.body(.byteBuffer(page))) }
        write(.end(nil))
        lastActivity = now
        if !keepAlive { return closeAfterFlush() }
        context.flush()
        state = exchange.requestEnded ? .idle : .discarding
        drainQueue()
    }

    /// Fills in dyno timing and size for the log line.
    func finishLog(_ exchange: inout Exchange, now: NIODeadline) {
        if let sentAt = exchange.sentAt {
            exchange.log.service = Exchange.milliseconds(since: sentAt, now: now)
        } else {
            exchange.log.connect = exchange.log.connect ?? Exchange.milliseconds(since: exchange.started, now: now)
        }
        exchange.log.connect = exchange.log.connect ?? 0
        exchange.log.service = exchange.log.service ?? 0
        exchange.log.bytes = exchange.bytes
    }

    /// Sends the exchange's line to the app's log (requests for no app are logged nowhere).
    func emit(_ exchange: Exchange) {
        guard let appID = exchange.appID else { return }
        environment.logs.emit(LogLine(appID: appID, source: "heroku", process: "router", message: exchange.log.message))
    }
}
