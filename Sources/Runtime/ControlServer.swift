import Foundation
package import Logging
package import NIOCore
import NIOPosix
package import OpenrukoCore
import ServiceLifecycle
import Synchronization

/// The daemon's end of the control socket (`DATA_DIR/run/control.sock`, mode 0600): lets
/// `openruko admin`, the git hook and `openruko ssh-command` drive the supervisor, run the
/// release phase here and read the log, streaming output back as it happens.
///
/// Who can connect: only processes of the daemon's own user that can reach `DATA_DIR/run`
/// (the admin, the git hook, `openruko ssh-command`); dynos and builds run in a mount
/// namespace without `DATA_DIR` (and, under root, as other users), so they cannot. Still, the
/// connections are capped (`Limits`: a refusal is a failure reply, logged at most once a
/// minute), the request line must arrive within `requestTimeout` and be at most
/// `maximumRequest` bytes, and what a client sends after it is dropped (issue 21).
package struct ControlServer: Service {
    package let layout: DataLayout
    package let runtime: any RuntimeControl
    package let releasePhase: any ReleasePhaseRunner
    package let logs: (any LogReader)?
    /// Where lines forwarded by other processes go.
    package let sink: any LogSink
    package let limits: Limits
    package let logger: Logger?
    /// Where attached one-offs of `openruko ssh-command` wait (nil: they are refused).
    package let door: RendezvousDoor?

    /// The rendezvous listener as this socket's callers reach it: its board, the host to
    /// connect to, and the certificate it serves (PEM; the caller pins it).
    package struct RendezvousDoor: Sendable {
        package let board: RendezvousBoard
        package let host: String
        package let certificate: String

        package init(board: RendezvousBoard, host: String, certificate: String) {
            self.board = board
            self.host = host
            self.certificate = certificate
        }
    }

    /// How many connections at once, and how long and large a request may be.
    package struct Limits: Sendable {
        /// Connections at once (each may be a long `logs -t` or a release phase).
        package var connections: Int
        /// The request line must arrive within this long…
        package var requestTimeout: TimeAmount = .seconds(10)
        /// …and be at most this long (it may carry up to 1,000 forwarded log lines).
        package var maximumRequest = 16 << 20

        package init(connections: Int, requestTimeout: TimeAmount = .seconds(10)) {
            self.connections = connections
            self.requestTimeout = requestTimeout
        }

        /// A sixteenth of the descriptor limit, 64 to 1,024.
        package static var standard: Limits { Limits(connections: min(1024, max(64, ConnectionBudget.descriptorLimit / 16))) }
    }

    package init(
        layout: DataLayout, runtime: any RuntimeControl, releasePhase: any ReleasePhaseRunner, logs: (any LogReader)?,
        sink: any LogSink, limits: Limits = .standard, logger: Logger? = nil, door: RendezvousDoor? = nil
    ) {
        self.door = door
        self.layout = layout
        self.runtime = runtime
        self.releasePhase = releasePhase
        self.logs = logs
        self.sink = sink
        self.limits = limits
        self.logger = logger
    }

    package func run() async throws {
        let path = layout.controlSocket
        let cap = ListenerCap(total: limits.connections, perSource: limits.connections)
        let (requestTimeout, logger) = (limits.requestTimeout, self.logger)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture { () throws -> (NIOAsyncChannel<ByteBuffer, ByteBuffer>, Scheduled<Void>?) in
                    var deadline: Scheduled<Void>?
                    if let refused = cap.admit("local") {
                        Self.log(refused, logger: logger)  // answered by the accept loop
                    } else {
                        channel.closeFuture.whenComplete { _ in cap.release("local") }
                        // Closed unless its request arrives in time (`serve` cancels this).
                        let scheduled = channel.eventLoop.scheduleTask(in: requestTimeout) { channel.close(promise: nil) }
                        channel.closeFuture.whenComplete { _ in scheduled.cancel() }
                        deadline = scheduled
                    }
                    return (try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel), deadline)
                }
            }
        chmod(path, 0o600)
        defer { unlink(path) }
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await (connection, deadline) in connections.cancelOnGracefulShutdown() {
                        guard let deadline else {
                            group.addTask { await Self.refuse(connection) }
                            continue
                        }
                        group.addTask { await serve(connection, deadline: deadline) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, deadline: Scheduled<Void>? = nil) async {
        try? await connection.executeThenClose { inbound, outbound in
            let channel = LineChannel(inbound: inbound, outbound: outbound)
            // One request per connection; the lines after it are read (to notice the hang-up)
            // and dropped, but for an attached one-off's window changes (`ControlResize`).
            let window = AttachedWindow()
            let incoming = channel.lines(maximumLength: limits.maximumRequest, bufferingPolicy: .bufferingOldest(16))
            let (first, firstLine) = AsyncStream<Data>.makeStream(bufferingPolicy: .bufferingOldest(1))
            let reader = Task {
                var iterator = incoming.makeAsyncIterator()
                if let line = try? await iterator.next() { firstLine.yield(line) }
                firstLine.finish()
                while let line = try? await iterator.next() {
                    if let resize = ControlCoding.decode(ControlResize.self, line) { window.resize(resize) }
                }
            }
            defer { reader.cancel() }
            var lines = first.makeAsyncIterator()
            guard let line = await lines.next() else { return }
            deadline?.cancel()
            guard let request = ControlCoding.decode(ControlRequest.self, line) else {
                try await channel.write(ControlCoding.line(ControlReply.failure(OpenrukoError(.invalid, "Malformed control request."))))
                return
            }
            let writer = ReplyWriter(channel: channel)
            // A client that goes away (Ctrl-C on `openruko admin logs -t`) ends its request.
            let (closed, gone) = AsyncStream<Never>.makeStream()
            connection.channel.closeFuture.whenComplete { _ in gone.finish() }
            let final = await withTaskGroup(of: ControlReply?.self) { group in
                group.addTask {
                    await handle(request, progress: { writer.send($0) }, attached: { window.attach($0) }) { writer.send(ControlReply(output: $0)) }
                }
                group.addTask {
                    for await _ in closed {}  // ends when the connection closes, or once cancelled
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let final else { return }
            writer.send(final)
            await writer.finish()
        }
    }

    /// Answers a connection beyond the cap with a failure and closes it.
    private static func refuse(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let reply = ControlReply.failure(OpenrukoError(.unavailable, "The daemon serves as many local connections as it may; try again shortly."))
        try? await connection.executeThenClose { _, outbound in try await outbound.write(ByteBuffer(bytes: ControlCoding.line(reply))) }
    }

    private static func log(_ refused: ListenerCap.Refused, logger: Logger?) {
        if refused.logThis { logger?.warning("control socket: refusing connections: the daemon serves as many as it may") }
        if let summary = refused.summary {
            logger?.warning("control socket: refused \(summary.refusals) more connections (not logged one by one)")
        }
    }

    /// Performs one request; `output` streams lines, `progress` other intermediate replies
    /// (a one-off's ticket); returns the final reply.
    func handle(
        _ request: ControlRequest, progress: @escaping @Sendable (ControlReply) -> Void = { _ in },
        attached: @escaping @Sendable (TerminalWindow) -> Void = { _ in }, output: @escaping @Sendable (String) -> Void
    ) async -> ControlReply {
        let app = request.app
        for line in request.forwarded ?? [] { sink.emit(line) }
        do throws(OpenrukoError) {
            var reply = ControlReply(done: true)
            switch request.operation {
            case .prepareRollout:
                guard let release = request.release else { throw OpenrukoError(.invalid, "prepareRollout needs a release.") }
                reply.readiness = await runtime.prepareRollout(app, release: release, output: output)
            case .appChanged:
                await runtime.appChanged(app)
            case .appDestroyed:
                await runtime.appDestroyed(app)
            case .restart:
                try await runtime.restart(app, target: request.target)
            case .stop:
                guard let target = request.target else { throw OpenrukoError(.invalid, "stop needs a target.") }
                try await runtime.stop(app, target: target)
            case .dynos:
                reply.dynos = try await runtime.dynos(app)
            case .releasePhase:
                guard let release = request.release, let slug = request.slug, let command = request.command else {
                    throw OpenrukoError(.invalid, "releasePhase needs a release, a slug and a command.")
                }
                reply.succeeded = await releasePhase.runReleasePhase(
                    app: app, release: release, slug: slug, command: command, output: output)
            case .logs:
                guard let logs else { throw OpenrukoError(.unavailable, "This openruko keeps no log.") }
                let query = LogQuery(
                    lines: request.logLines ?? 100, tail: request.logTail ?? false, dyno: request.logDyno, source: request.logSource)
                for await line in logs.read(app: app, query: query) { output(line) }
            case .runOneOff, .runInside:
                reply = try await runOneOff(request, progress: progress, attached: attached)
            }
            return reply
        } catch {
            return ControlReply.failure(error)
        }
    }
}

/// Writes replies in order from any thread without blocking the caller (output callbacks
/// must never block a dyno).
final class ReplyWriter: Sendable {
    private let continuation: AsyncStream<ControlReply>.Continuation
    private let task: Task<Void, Never>

    init(channel: LineChannel) {
        let (stream, continuation) = AsyncStream<ControlReply>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        self.continuation = continuation
        task = Task {
            for await reply in stream {
                do {
                    try await channel.write(ControlCoding.line(reply))
                } catch {
                    return
                }
            }
        }
    }

    func send(_ reply: ControlReply) { continuation.yield(reply) }

    func finish() async {
        continuation.finish()
        await task.value
    }
}

/// The terminal window of the attached one-off a control connection started, once there is
/// one: the window changes the caller sends after its request resize it.
final class AttachedWindow: Sendable {
    private let window = Mutex<TerminalWindow?>(nil)

    func attach(_ terminal: TerminalWindow) { window.withLock { $0 = terminal } }

    func resize(_ change: ControlResize) {
        window.withLock { $0 }?.resize(TerminalSize(columns: change.columns, lines: change.lines))
    }
}
