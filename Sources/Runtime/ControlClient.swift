import Foundation
import NIOCore
import NIOPosix
package import OpenrukoCore
import Synchronization

/// The runtime of processes other than the daemon (`openruko admin`, the git hook,
/// `openruko ssh-command`): every call goes to the daemon over its control socket, with
/// output streamed back. When no daemon runs, changes are only recorded (the daemon converges
/// on them when it starts), a release is deferred with a note saying so, and the release
/// phase runs here with the same runner as in the daemon.
package struct ControlClient: RuntimeControl, ReleasePhaseRunner, LogReader, LogSink {
    package let layout: DataLayout
    private let pending = PendingLines()
    /// Builds the local release-phase runner when it is needed (no daemon).
    package let localReleasePhase: @Sendable () throws(OpenrukoError) -> any ReleasePhaseRunner
    /// Reads the log when no daemon runs (the log files themselves).
    package let localLogs: (any LogReader)?

    package init(
        layout: DataLayout, localLogs: (any LogReader)? = nil,
        localReleasePhase: @escaping @Sendable () throws(OpenrukoError) -> any ReleasePhaseRunner
    ) {
        self.layout = layout
        self.localLogs = localLogs
        self.localReleasePhase = localReleasePhase
    }

    /// Why a call did not reach the daemon.
    enum CallError: Error {
        /// Nothing listens on the socket.
        case noDaemon
        /// The connection broke or the daemon answered nonsense.
        case broken(String)
    }

    // MARK: RuntimeControl

    package func prepareRollout(_ app: App, release: Release, output: @escaping @Sendable (String) -> Void) async -> RolloutReadiness {
        var request = ControlRequest(.prepareRollout, app: app)
        request.release = release
        switch await call(request, output: output) {
        case .success(let reply): return reply.readiness ?? .failed(reply.error?.message ?? "The daemon gave no answer.", [])
        case .failure(.noDaemon): return .deferred(DetachedRuntime.deferredNote)
        case .failure(.broken(let why)): return .failed("Lost the openruko daemon while the new dynos booted (\(why)).", [])
        }
    }

    package func appChanged(_ app: App) async {
        _ = await call(ControlRequest(.appChanged, app: app), output: { _ in })
    }

    package func appDestroyed(_ app: App) async {
        _ = await call(ControlRequest(.appDestroyed, app: app), output: { _ in })
    }

    package func restart(_ app: App, target: String?) async throws(OpenrukoError) {
        var request = ControlRequest(.restart, app: app)
        request.target = target
        _ = try await required(request)
    }

    package func stop(_ app: App, target: String) async throws(OpenrukoError) {
        var request = ControlRequest(.stop, app: app)
        request.target = target
        _ = try await required(request)
    }

    package func dynos(_ app: App) async throws(OpenrukoError) -> [Dyno] {
        try await required(ControlRequest(.dynos, app: app)).dynos ?? []
    }

    // MARK: ReleasePhaseRunner

    package func runReleasePhase(
        app: App, release: Release, slug: Slug, command: String, output: @escaping @Sendable (String) -> Void
    ) async -> Bool {
        var request = ControlRequest(.releasePhase, app: app)
        request.release = release
        request.slug = slug
        request.command = command
        switch await call(request, output: output) {
        case .success(let reply):
            if let error = reply.error { output(error.message) }
            return reply.succeeded ?? false
        case .failure(.broken(let why)):
            output("Lost the openruko daemon during the release phase (\(why)).")
            return false
        case .failure(.noDaemon):
            output("       The openruko daemon is not running: the release phase runs here.")
            do {
                return try await localReleasePhase().runReleasePhase(
                    app: app, release: release, slug: slug, command: command, output: output)
            } catch {
                output(error.message)
                return false
            }
        }
    }

    // MARK: LogReader

    /// Reads through the daemon (its store, its live lines); without a daemon, from `localLogs`.
    package func read(app: App, query: LogQuery) -> AsyncStream<String> {
        var request = ControlRequest(.logs, app: app)
        request.logLines = query.lines
        request.logTail = query.tail
        request.logDyno = query.dyno
        request.logSource = query.source
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let local = localLogs
        let task = Task {
            if case .failure(.noDaemon) = await call(request, output: { continuation.yield($0) }), let local {
                for await line in local.read(app: app, query: query) { continuation.yield(line) }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    // MARK: LogSink

    /// Keeps the line for the daemon's log; it travels with this process's next call (without
    /// a daemon it is dropped, like any log line with no log store).
    package func emit(_ line: LogLine) { pending.add(line) }

    // MARK: Calls

    /// A call that needs the daemon: its error (or the daemon's absence) is thrown.
    func required(_ request: ControlRequest) async throws(OpenrukoError) -> ControlReply {
        try Self.outcome(await call(request, output: { _ in }))
    }

    /// Sends `request` and reads replies until the final one.
    /// Intermediate replies other than output lines (a one-off's ticket) go to `progress`;
    /// `followUps` are lines sent after the request while it runs (an attached one-off's
    /// window changes).
    func call(
        _ request: ControlRequest, progress: @escaping @Sendable (ControlReply) -> Void = { _ in },
        followUps: AsyncStream<Data>? = nil, output: @escaping @Sendable (String) -> Void
    ) async -> Result<ControlReply, CallError> {
        var request = request
        let lines = pending.take()
        if !lines.isEmpty { request.forwarded = lines }
        let connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: layout.controlSocket) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            return .failure(.noDaemon)
        }
        do {
            return try await connection.executeThenClose { inbound, outbound in
                let channel = LineChannel(inbound: inbound, outbound: outbound)
                try await channel.write(ControlCoding.line(request))
                let sending = followUps.map { lines in
                    Task {
                        for await line in lines { try? await channel.write(line) }
                    }
                }
                defer { sending?.cancel() }
                for try await line in channel.lines() {
                    guard let reply = ControlCoding.decode(ControlReply.self, line) else {
                        return .failure(.broken("unreadable answer"))
                    }
                    if let text = reply.output { output(text) }
                    if reply.done == true { return .success(reply) }
                    if reply.ticket != nil { progress(reply) }
                }
                return .failure(.broken("the connection closed early"))
            }
        } catch {
            return .failure(.broken("\(error)"))
        }
    }
}

/// Log lines waiting for the next call to the daemon (at most 1,000; older ones are dropped).
final class PendingLines: Sendable {
    private let lines = Mutex<[LogLine]>([])

    func add(_ line: LogLine) {
        lines.withLock { lines in
            lines.append(line)
            if lines.count > 1000 { lines.removeFirst(lines.count - 1000) }
        }
    }

    func take() -> [LogLine] {
        lines.withLock { lines in
            defer { lines.removeAll() }
            return lines
        }
    }
}
