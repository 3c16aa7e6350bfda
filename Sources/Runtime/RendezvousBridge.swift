import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import OpenrukoCore

/// The runtime's end of an attached one-off in `openruko ssh-command` (OpenSSH mode): the
/// dyno runs in the daemon, so this process connects to the daemon's local rendezvous
/// listener with the ticket it got over the control socket and carries bytes between the
/// attachment (sshd's terminal or pipes, through `run`) and that connection, as the heroku
/// CLI does: the secret first, the `rendezvous\r\n` greeting dropped, `\x04` after the last
/// byte of non-terminal input. The listener's certificate is pinned (the one the daemon
/// named over the control socket), so nothing else listening on that port gets the bytes.
///
/// ```swift
/// try await RendezvousBridge(ticket: ticket, attachment: attachment).pump()
/// ```
struct RendezvousBridge: Sendable {
    let ticket: ControlTicket
    let attachment: DynoAttachment
    /// The greeting the listener sends before the process's output.
    static let greeting = Array("rendezvous\r\n".utf8)

    /// Connects and carries bytes until the listener closes the connection (the process
    /// ended and its output is sent) or this task is cancelled (the client hung up).
    /// - Throws: when the listener cannot be reached, is not the pinned one, or breaks the protocol.
    func pump() async throws {
        let pinned = try NIOSSLCertificate.fromPEMBytes(Array(ticket.certificate.utf8)).first
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .noHostnameVerification
        let context = try NIOSSLContext(configuration: configuration)
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: ticket.host, port: ticket.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(
                        context: context, serverHostname: nil,
                        customVerificationCallback: { presented, verdict in
                            verdict.succeed(pinned != nil && presented.first == pinned ? .certificateVerified : .failed)
                        })
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let attachment = attachment
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: ticket.secret + "\r\n"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while let chunk = await attachment.input.next() { try await outbound.write(ByteBuffer(bytes: chunk)) }
                    if !attachment.tty && !Task.isCancelled { try await outbound.write(ByteBuffer(bytes: [0x04])) }
                }
                var expected = Self.greeting[...]
                for try await buffer in inbound {
                    var bytes = Array(buffer.readableBytesView)[...]
                    while let next = expected.first, let byte = bytes.first {
                        guard byte == next else { throw OpenrukoError(.unavailable, "The rendezvous listener did not greet.") }
                        expected = expected.dropFirst()
                        bytes = bytes.dropFirst()
                    }
                    if !bytes.isEmpty { await attachment.output.send(Array(bytes)) }
                }
                group.cancelAll()
            }
        }
    }
}
