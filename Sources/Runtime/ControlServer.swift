import Foundation
import NIOCore
import NIOPosix
package import OpenrukoCore
import ServiceLifecycle

/// The daemon's end of the control socket (`DATA_DIR/run/control.sock`, mode 0600): lets
/// `openruko admin`, the git hook and `openruko ssh-command` drive the supervisor, run the
/// release phase here and read the log, streaming output back as it happens.
package struct ControlServer: Service {
    package let layout: DataLayout
    package let runtime: any RuntimeControl
    package let releasePhase: any ReleasePhaseRunner
    package let logs: (any LogReader)?
    /// Where lines forwarded by other processes go.
    package let sink: any LogSink

    package init(
        layout: DataLayout, runtime: any RuntimeControl, releasePhase: any ReleasePhaseRunner, logs: (any LogReader)?,
        sink: any LogSink
    ) {
        self.layout = layout
        self.runtime = runtime
        self.releasePhase = releasePhase
        self.logs = logs
        self.sink = sink
    }

    package func run() async throws {
        let path = layout.controlSocket
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        chmod(path, 0o600)
        defer { unlink(path) }
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections.cancelOnGracefulShutdown() {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { inbound, outbound in
            let channel = LineChannel(inbound: inbound, outbound: outbound)
            var iterator = channel.lines().makeAsyncIterator()
            guard let line = try await iterator.next() else { return }
            guard let request = ControlCoding.decode(ControlRequest.self, line) else {
                try await channel.write(ControlCoding.line(ControlReply.failure(OpenrukoError(.invalid, "Malformed control request."))))
                return
            }
            let writer = ReplyWriter(channel: channel)
            // A client that goes away (Ctrl-C on `openruko admin logs -t`) ends its request.
            let (closed, gone) = AsyncStream<Never>.makeStream()
            connection.channel.closeFuture.whenComplete { _ in gone.finish() }
            let final = await withTaskGroup(of: ControlReply?.self) { group in
                group.addTask { await handle(request) { writer.send(ControlReply(output: $0)) } }
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

    /// Performs one request; `output` streams lines; returns the final reply.
    func handle(_ request: ControlRequest, output: @escaping @Sendable (String) -> Void) async -> ControlReply {
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
