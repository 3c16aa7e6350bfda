package import Foundation
import NIOCore
import NIOPosix
package import OpenrukoCore
import Synchronization

/// The log sink of processes other than the daemon (`openruko admin`, the git hook,
/// `openruko ssh-command`): lines go to the daemon's store over `DATA_DIR/run/logs.sock`
/// when it runs (so live tails and drains see them), else straight into the app's files
/// under their lock (the daemon and `logs` read them from there). Call `finish()` before
/// the process exits: it returns once the daemon has the lines on disk.
package final class LogForwarder: LogSink, Sendable {
    package let layout: DataLayout
    private let settings: LogSettings
    private let limit: @Sendable (UUID) -> Int?
    private let state = Mutex(State())

    private struct State {
        var channel: (any Channel)?
        var appenders: [UUID: LogAppender] = [:]
    }

    /// - Parameters:
    ///   - limit: an app's own byte limit, when it has one (else `settings.size`).
    package init(layout: DataLayout, settings: LogSettings = LogSettings(), limit: @escaping @Sendable (UUID) -> Int? = { _ in nil }) {
        self.layout = layout
        self.settings = settings
        self.limit = limit
    }

    package func emit(_ line: LogLine) {
        state.withLock { state in
            if state.channel == nil || state.channel?.isActive == false { state.channel = connect() }
            if let channel = state.channel {
                channel.writeAndFlush(ByteBuffer(bytes: ForwardedLine(line).encoded), promise: nil)
                return
            }
            let appender = state.appenders[line.appID] ?? LogAppender(directory: LogDirectory(layout: layout, appID: line.appID))
            state.appenders[line.appID] = appender
            var data = Data()
            for text in line.storedLines {
                data.append(contentsOf: text.utf8)
                data.append(UInt8(ascii: "\n"))
            }
            _ = try? appender.append(data, limit: limit(line.appID) ?? settings.size)
        }
    }

    /// Waits (at most 5 s) until the daemon has written every line sent so far, then
    /// disconnects.
    package func finish() async {
        guard let channel = state.withLock({ state in defer { state.channel = nil }; return state.channel }) else { return }
        channel.writeAndFlush(ByteBuffer(bytes: ForwardedLine(sync: true).encoded), promise: nil)
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
        try? await channel.closeFuture.get()
        timeout.cancel()
    }

    /// A connection to the daemon's socket, or nil when no daemon listens.
    private func connect() -> (any Channel)? {
        guard FileManager.default.fileExists(atPath: layout.logSocket) else { return nil }
        return try? ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(1))
            .connect(unixDomainSocketPath: layout.logSocket)
            .wait()
    }
}
