import Foundation
import NIOCore
import NIOPosix
import OpenrukoCore

/// Kept-alive connections to dynos for one event loop. Only that loop touches it, so a client
/// connection and the dyno connection serving it always share a thread.
final class BackendPool {
    let eventLoop: any EventLoop
    private let configuration: RouterConfiguration
    /// Idle connections per dyno instance, most recently used last.
    private var idle: [UUID: [BackendConnection]] = [:]
    private var sweep: Scheduled<Void>?

    init(eventLoop: any EventLoop, configuration: RouterConfiguration) {
        self.eventLoop = eventLoop
        self.configuration = configuration
    }

    /// An idle open connection to `backend`, if the pool has one.
    func take(_ backend: Backend) -> BackendConnection? {
        while let connection = idle[backend.id]?.popLast() {
            connection.isIdleInPool = false
            if connection.isOpen { return connection }
        }
        return nil
    }

    /// Keeps a connection whose exchange ended cleanly for the next request to its dyno.
    func release(_ connection: BackendConnection, now: NIODeadline = .now()) {
        guard connection.isOpen else { return }
        connection.owner = nil
        connection.pool = self
        connection.isIdleInPool = true
        connection.idleSince = now
        idle[connection.backend.id, default: []].append(connection)
        if let list = idle[connection.backend.id], list.count > configuration.maxIdleConnectionsPerBackend {
            let oldest = idle[connection.backend.id]!.removeFirst()
            oldest.isIdleInPool = false
            oldest.close()
        }
        scheduleSweep()
    }

    /// Forgets a pooled connection the dyno closed.
    func discard(_ connection: BackendConnection) {
        connection.isIdleInPool = false
        idle[connection.backend.id]?.removeAll { $0 === connection }
    }

    /// Opens a new connection to `backend`; `completion` runs on this loop.
    func connect(_ backend: Backend, completion: @escaping (Result<BackendConnection, any Error>) -> Void) {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BackendConnection(backend: backend))
                }
            }
        let connecting: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: backend.host, port: backend.port) {
            connecting = bootstrap.connect(to: address)
        } else {
            connecting = bootstrap.connect(host: backend.host, port: backend.port)
        }
        connecting.assumeIsolated().whenComplete { result in
            completion(result.flatMap { channel in
                Result { try channel.pipeline.syncOperations.handler(type: BackendConnection.self) }
            })
        }
    }

    /// Closes connections idle longer than `backendIdleTimeout`, while any are pooled.
    private func scheduleSweep() {
        guard sweep == nil else { return }
        let interval = TimeAmount.nanoseconds(max(configuration.backendIdleTimeout.nanoseconds / 4, 100_000_000))
        sweep = eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            sweep = nil
            let limit = NIODeadline.now() - configuration.backendIdleTimeout
            for (id, connections) in idle {
                let (stale, fresh) = (connections.filter { $0.idleSince <= limit }, connections.filter { $0.idleSince > limit })
                for connection in stale {
                    connection.isIdleInPool = false
                    connection.close()
                }
                idle[id] = fresh.isEmpty ? nil : fresh
            }
            if !idle.isEmpty { scheduleSweep() }
        }
    }

    /// Closes every idle connection (shutdown).
    func closeAll() {
        for connection in idle.values.joined() {
            connection.isIdleInPool = false
            connection.close()
        }
        idle.removeAll()
        sweep?.cancel()
        sweep = nil
    }
}
