import Foundation
import NIOCore
import OpenrukoCore

/// Delivers one drain's lines: reads the app's log from the moment the drain is started,
/// keeps at most `buffer` undelivered lines (dropping the oldest, counted and reported in
/// the app's log), and reconnects with back-off (0.1 s doubling to 10 s) when the endpoint is
/// down. A drain that is down or slow costs the app and the other drains nothing: it only
/// falls behind in the log.
final class DrainWorker: @unchecked Sendable {
    // @unchecked: the queue and counters are touched only by the worker's own task (one
    // connection session at a time).
    let drain: LogDrain
    let url: DrainURL
    private let store: LogStore
    private let buffer: Int
    private let tls: DrainTLS
    private var subscription: FeedSubscription?
    private var queue: [String] = []
    private var dropped = 0
    private var droppedSince: Date?
    private var lastReport = Date.distantPast
    private var backoff = DrainWorker.firstBackoff
    /// Identifies the batch at the head of the queue until it is delivered (Logplex-Frame-Id).
    private(set) var frameID = DrainWorker.newFrameID()

    static let firstBackoff = Duration.milliseconds(100)
    static let longestBackoff = Duration.seconds(10)
    /// Lines per batch (per POST for HTTP drains).
    static let batchLines = 500

    init(drain: LogDrain, url: DrainURL, store: LogStore, buffer: Int, tls: DrainTLS) {
        self.drain = drain
        self.url = url
        self.store = store
        self.buffer = buffer
        self.tls = tls
    }

    /// Lines delivered so far.
    private(set) var delivered = 0

    /// Delivers until cancelled, starting with the lines written since `since` (a drain added
    /// while the daemon runs gets what was logged since it was added), else with new lines.
    func run(since: Date?) async {
        let subscription = store.subscription(appID: drain.appID, query: LogQuery(lines: 0, tail: true))
        _ = await subscription.start()
        self.subscription = subscription
        if let since, let started = subscription.started {
            let (lines, total) = LogHistory.lines(in: subscription.log.directory, before: started, since: since, keeping: buffer)
            queue = lines
            if total > lines.count {
                dropped = total - lines.count
                droppedSince = since
            }
        }
        while !Task.isCancelled {
            do {
                switch url.kind {
                case .syslog, .syslogTLS:
                    try await SyslogSession(url: url, token: drain.token, tls: tls).run(self)
                case .http, .https:
                    try await HTTPSession(url: url, token: drain.token, tls: tls).run(self)
                }
            } catch {
                // The endpoint is down or refused the lines: retry after the back-off.
                if Task.isCancelled { break }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, Self.longestBackoff)
                trimOverflow()
                continue
            }
            // The endpoint closed the connection after a delivery (an HTTP/1.0 server, or
            // `Connection: close`): connect again at once.
        }
    }

    /// The next lines to send (the head of the queue), waiting for new ones; nil once the
    /// session should end (cancelled).
    func nextBatch() async -> ArraySlice<String>? {
        trimOverflow()
        while queue.isEmpty {
            guard let subscription, let lines = await subscription.nextBatch() else { return nil }
            queue.append(contentsOf: lines)
            trimOverflow()
        }
        return queue.prefix(Self.batchLines)
    }

    /// The head `count` lines reached the endpoint.
    func confirm(_ count: Int) {
        queue.removeFirst(min(count, queue.count))
        delivered += count
        frameID = Self.newFrameID()
        backoff = Self.firstBackoff
        reportDrops(force: true)
    }

    /// Drops the oldest undelivered lines beyond the buffer (the newest `buffer` lines stay).
    private func trimOverflow() {
        guard let subscription, queue.count + subscription.behind > buffer else { return }
        let (lines, passed) = subscription.catchUp(keeping: buffer)
        queue.append(contentsOf: lines)
        var skipped = passed
        if queue.count > buffer {
            skipped += queue.count - buffer
            queue.removeFirst(queue.count - buffer)
            frameID = Self.newFrameID()
        }
        guard skipped > 0 else { return }
        if dropped == 0 { droppedSince = Date() }
        dropped += skipped
        reportDrops(force: false)
    }

    /// Says in the app's log how many lines this drain lost: on the next delivery, and at
    /// most every 30 s while the drain stays down.
    private func reportDrops(force: Bool) {
        guard dropped > 0, force || Date().timeIntervalSince(max(lastReport, droppedSince ?? Date())) >= 30 else { return }
        store.emit(Notices.drainOverflow(appID: drain.appID, token: drain.token, dropped: dropped, since: droppedSince ?? Date()))
        dropped = 0
        droppedSince = nil
        lastReport = Date()
    }

    private static func newFrameID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "")
    }
}
