import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import OpenrukoCore

/// The daemon's end of `DATA_DIR/run/logs.sock` (mode 0600): lines from other openruko
/// processes (`openruko admin`, the git hook, `openruko ssh-command`) enter the store here,
/// so they reach the same files, live tails and drains as the daemon's own.
///
/// Only processes of the daemon's user that reach `DATA_DIR/run` can connect (dynos and builds
/// have no `DATA_DIR` in their mount namespace); still, connections are capped (one beyond is
/// closed, the refusal reported at most once a minute on standard error), the first line must
/// arrive within `firstLineTimeout`, and a line is at most `maximumLine` bytes (issue 21).
struct LogSocketServer {
    let store: LogStore
    /// Connections at once: a sixteenth of the descriptor limit, 64 to 1,024.
    var connections = min(1024, max(64, ConnectionBudget.descriptorLimit / 16))
    var firstLineTimeout: TimeAmount = .seconds(10)
    /// A forwarded line's JSON at most (a longer one closes the connection).
    var maximumLine = 1 << 20

    /// Listens until the task is cancelled.
    func run() async throws {
        let path = store.layout.logSocket
        try FileManager.default.createDirectory(atPath: store.layout.run, withIntermediateDirectories: true)
        let cap = ListenerCap(total: connections, perSource: connections)
        let (firstLineTimeout, maximumLine) = (self.firstLineTimeout, self.maximumLine)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture { () throws -> (NIOAsyncChannel<ByteBuffer, ByteBuffer>, Scheduled<Void>?) in
                    let admitted: Scheduled<Void>?
                    if let refused = cap.admit("local") {
                        Self.report(refused)
                        admitted = nil  // closed by the accept loop
                    } else {
                        channel.closeFuture.whenComplete { _ in cap.release("local") }
                        let deadline = channel.eventLoop.scheduleTask(in: firstLineTimeout) { channel.close(promise: nil) }
                        channel.closeFuture.whenComplete { _ in deadline.cancel() }
                        admitted = deadline
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: maximumLine))
                    return (try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel), admitted)
                }
            }
        chmod(path, 0o600)
        defer { unlink(path) }
        try await withTaskCancellationHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await (connection, deadline) in connections {
                        guard let deadline else {
                            // Refused: closed (through its writer, which must be finished).
                            group.addTask { try? await connection.executeThenClose { _, _ in } }
                            continue
                        }
                        group.addTask { await serve(connection, deadline: deadline) }
                    }
                }
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    private static func report(_ refused: ListenerCap.Refused) {
        var text = ""
        if refused.logThis { text += "openruko: log socket: refusing connections: the daemon serves as many as it may\n" }
        if let summary = refused.summary { text += "openruko: log socket: refused \(summary.refusals) more connections (not logged one by one)\n" }
        if !text.isEmpty { FileHandle.standardError.write(Data(text.utf8)) }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, deadline: Scheduled<Void>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var apps = Set<UUID>()
            let decoder = JSONDecoder()
            var identified = false
            for try await buffer in inbound {
                if !identified {
                    deadline.cancel()
                    identified = true
                }
                guard let message = try? decoder.decode(ForwardedLine.self, from: Data(buffer.readableBytesView)) else { continue }
                if let line = message.line {
                    apps.insert(line.appID)
                    store.emit(line)
                } else if message.sync == true {
                    for app in apps { await store.flushed(appID: app) }
                    try await outbound.write(ByteBuffer(string: "ok\n"))
                    return
                }
            }
        }
    }
}
