import Foundation
package import Logging
package import NIOCore
import NIOPosix
import NIOSSL
package import OpenrukoCore
import ServiceLifecycle

/// The TLS listener of `rendezvous://HOST:PORT/SECRET` attach URLs (`--rendezvous-listen`),
/// speaking the bytes the heroku CLI (`lib/run/dyno.ts`) and heroku3 speak: the client sends
/// the secret (a line end optional), the server answers `rendezvous\r\n` as a write of its own
/// (the CLI discards the whole first chunk), then the connection is the process's terminal.
/// The process starts only then; it is stopped when the client closes the connection, and
/// the connection closes when the process has ended and its output is sent. A connection
/// that has not finished its TLS handshake and sent a valid secret within 10 s, or sends an
/// unknown, used or expired one, is closed without a word. Connections not attached yet are
/// capped in all and per source address (`Limits`); one beyond is closed at once, and
/// refusals are logged at most once a minute per address (issue 21).
///
/// ```swift
/// let server = RendezvousServer(listen: address, certificate: served, board: board, registry: registry)
/// ```
package struct RendezvousServer: Service {
    let listen: ListenAddress
    let certificate: ServedCertificate
    let board: RendezvousBoard
    let registry: ListenerRegistry?
    let limits: Limits
    let logger: Logger?

    /// How many connections may be waiting to attach, and for how long.
    package struct Limits: Sendable {
        /// Connections that have not sent a valid secret yet, in all…
        package var pending: Int
        /// …and from one source address.
        package var pendingPerSource: Int
        /// The TLS handshake and the secret must be done within this long.
        package var greetingTimeout: TimeAmount = .seconds(10)

        package init(pending: Int, pendingPerSource: Int, greetingTimeout: TimeAmount = .seconds(10)) {
            self.pending = pending
            self.pendingPerSource = pendingPerSource
            self.greetingTimeout = greetingTimeout
        }

        /// For a process whose descriptor limit is `descriptors`: a sixteenth of it (64 to
        /// 1,024), a quarter of that per source address.
        package static func sized(forDescriptors descriptors: Int) -> Limits {
            let pending = min(1024, max(64, descriptors / 16))
            return Limits(pending: pending, pendingPerSource: max(1, pending / 4))
        }
    }

    package init(
        listen: ListenAddress, certificate: ServedCertificate, board: RendezvousBoard, registry: ListenerRegistry?,
        limits: Limits = .sized(forDescriptors: ConnectionBudget.descriptorLimit), logger: Logger? = nil
    ) {
        self.listen = listen
        self.certificate = certificate
        self.board = board
        self.registry = registry
        self.limits = limits
        self.logger = logger
    }

    package func run() async throws {
        let context: NIOSSLContext
        do {
            let (chain, key) = try certificate.parsed()
            context = try NIOSSLContext(
                configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
        } catch {
            throw OpenrukoError(.unavailable, "The rendezvous listener cannot use its certificate: \(error)")
        }
        let gate = ConnectionGate(total: limits.pending, perSource: limits.pendingPerSource, logger: logger, listener: "rendezvous")
        let greetingTimeout = limits.greetingTimeout
        let server: NIOAsyncChannel<Attempt, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .bind(host: listen.host, port: listen.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // Counted and timed from the accept, before the TLS handshake.
                        let pass = gate.admitUntilIdentified(channel, closingRefused: false)
                        let deadline = channel.eventLoop.scheduleTask(in: greetingTimeout) { channel.close(promise: nil) }
                        channel.closeFuture.whenComplete { _ in deadline.cancel() }
                        // A refused one gets no TLS (a handshake would be work for nothing).
                        if pass != nil { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                        let connection = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        return Attempt(connection: connection, pass: pass, deadline: deadline)
                    }
                }
        } catch {
            throw OpenrukoError(.unavailable, "The rendezvous listener cannot listen on \(listen) (--rendezvous-listen): \(error)")
        }
        let port = server.channel.localAddress?.port ?? listen.port
        board.listening(on: port)
        await registry?.bound("rendezvous", address: ListenAddress(host: listen.host, port: port).description)
        let board = board
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                try? await server.executeThenClose { inbound in
                    for try await attempt in inbound {
                        guard attempt.pass != nil else {
                            // Refused: closed (through its writer, which must be finished).
                            group.addTask { try? await attempt.connection.executeThenClose { _, _ in } }
                            continue
                        }
                        group.addTask { await Self.serve(attempt, board: board) }
                    }
                }
            } onGracefulShutdown: {
                server.channel.close(promise: nil)
            }
            // Stopping: every attached client is hung up (their one-offs stop).
            group.cancelAll()
        }
    }

    /// An accepted connection, its place under the cap (nil: refused) and its greeting deadline.
    struct Attempt: Sendable {
        let connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        let pass: ConnectionGate.Pass?
        let deadline: Scheduled<Void>
    }

    /// One client, from its secret to the end of its process.
    static func serve(_ attempt: Attempt, board: RendezvousBoard) async {
        let connection = attempt.connection
        let channel = connection.channel
        let deadline = attempt.deadline
        var attachment: DynoAttachment?
        try? await connection.executeThenClose { inbound, outbound in
            try await withThrowingDiscardingTaskGroup { group in
                var greeting = RendezvousGreeting(length: RendezvousBoard.secretLength)
                var input: RendezvousInput?
                for try await buffer in inbound {
                    let bytes = Array(buffer.readableBytesView)
                    if let attached = attachment, var reader = input {
                        await attached.input.send(reader.feed(bytes))
                        if reader.ended { attached.input.finish() }
                        input = reader
                        continue
                    }
                    let (secret, rest): (String, [UInt8])
                    switch greeting.feed(bytes) {
                    case .needMore: continue
                    case .invalid: return
                    case .secret(let found, let after): (secret, rest) = (found, after)
                    }
                    guard let claimed = board.claim(secret) else { return }
                    deadline.cancel()
                    attempt.pass?.identified()
                    try await outbound.write(ByteBuffer(string: "rendezvous\r\n"))
                    guard claimed.connect() else { return }
                    attachment = claimed
                    group.addTask {
                        while let chunk = await claimed.output.next() { try await outbound.write(ByteBuffer(bytes: chunk)) }
                        channel.close(promise: nil)
                    }
                    var reader = RendezvousInput(tty: claimed.tty, lineEndPending: rest.isEmpty)
                    await claimed.input.send(reader.feed(rest))
                    if reader.ended { claimed.input.finish() }
                    input = reader
                }
                // The client closed the connection (or the process ended and we did).
                attachment?.hangUp()
            }
        }
        deadline.cancel()
        attachment?.hangUp()
    }
}
