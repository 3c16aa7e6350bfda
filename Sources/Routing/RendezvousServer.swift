import Foundation
import NIOCore
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
/// that sends no valid secret within 10 s, or an unknown, used or expired one, is closed
/// without a word.
///
/// ```swift
/// let server = RendezvousServer(listen: address, certificate: served, board: board, registry: registry)
/// ```
package struct RendezvousServer: Service {
    let listen: ListenAddress
    let certificate: ServedCertificate
    let board: RendezvousBoard
    let registry: ListenerRegistry?

    package init(listen: ListenAddress, certificate: ServedCertificate, board: RendezvousBoard, registry: ListenerRegistry?) {
        self.listen = listen
        self.certificate = certificate
        self.board = board
        self.registry = registry
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
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: listen.host, port: listen.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
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
                    for try await connection in inbound {
                        group.addTask { await Self.serve(connection, board: board) }
                    }
                }
            } onGracefulShutdown: {
                server.channel.close(promise: nil)
            }
            // Stopping: every attached client is hung up (their one-offs stop).
            group.cancelAll()
        }
    }

    /// One client, from its secret to the end of its process.
    static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, board: RendezvousBoard) async {
        let channel = connection.channel
        let deadline = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
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
                    deadline.cancel()
                    guard let claimed = board.claim(secret) else { return }
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
