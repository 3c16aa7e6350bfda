import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import OpenrukoCore

/// The daemon's end of `DATA_DIR/run/logs.sock` (mode 0600): lines from other openruko
/// processes (`openruko admin`, the git hook, `openruko ssh-command`) enter the store here,
/// so they reach the same files, live tails and drains as the daemon's own.
struct LogSocketServer {
    let store: LogStore

    /// Listens until the task is cancelled.
    func run() async throws {
        let path = store.layout.logSocket
        try FileManager.default.createDirectory(atPath: store.layout.run, withIntermediateDirectories: true)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        chmod(path, 0o600)
        defer { unlink(path) }
        try await withTaskCancellationHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var apps = Set<UUID>()
            let decoder = JSONDecoder()
            for try await buffer in inbound {
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
