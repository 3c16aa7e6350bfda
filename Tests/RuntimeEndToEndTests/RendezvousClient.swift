import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import TestSupport

/// A rendezvous client written from the heroku CLI's `lib/run/dyno.ts`: TLS verified
/// against the daemon's authority with the host name checked, `SECRET\r\n`, the whole first
/// chunk discarded (it must start with `rendezvous`), then stdin (followed by `\x04` without
/// a TTY), everything else is the output until the server closes.
struct RendezvousClient {
    /// What one session gave.
    struct Session {
        /// The first chunk (discarded by the CLI).
        var greeting: String
        var output: String
        /// The status of the `-x` line (`\u{FFFF} heroku-command-exit-status: N`), if any.
        var exitStatus: Int? {
            output.components(separatedBy: "\n").compactMap { line -> Int? in
                guard let range = line.range(of: "\u{FFFF} heroku-command-exit-status: ") else { return nil }
                return Int(line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines))
            }.last
        }
    }

    let caFile: String

    /// Attaches to `url` (`rendezvous://HOST:PORT/SECRET`), sends `input`, reads to the end.
    /// - Parameters:
    ///   - lineEnd: the CLI's `\r\n` after the secret (heroku3 sends none).
    ///   - endOfInput: `\x04` after the input, as the CLI does without a TTY.
    ///   - hangUpAfter: closes the connection once the output contains this text.
    func attach(
        _ url: String, input: String = "", lineEnd: Bool = true, endOfInput: Bool = true, hangUpAfter: String? = nil
    ) async throws -> Session {
        let parsed = try require(URLComponents(string: url.replacingOccurrences(of: "rendezvous://", with: "https://")))
        let host = try require(parsed.host)
        let port = try require(parsed.port)
        let secret = String(parsed.path.dropFirst())
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caFile)
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host == "localhost" ? "127.0.0.1" : host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: host))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: secret + (lineEnd ? "\r\n" : "")))
            var greeting: String?
            var output = ""
            do {
                for try await buffer in inbound {
                    let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
                    guard greeting != nil else {
                        greeting = text  // the CLI drops the whole first chunk
                        if !input.isEmpty { try await outbound.write(ByteBuffer(string: input)) }
                        if endOfInput { try await outbound.write(ByteBuffer(string: "\u{04}")) }
                        continue
                    }
                    output += text
                    if let hangUpAfter, output.contains(hangUpAfter) { break }
                }
            } catch let error as NIOSSLError where error == .uncleanShutdown {
                // The server may close without close_notify once the process has ended.
            }
            return Session(greeting: greeting ?? "", output: output)
        }
    }
}

/// `#require` without the Testing macro (usable in a plain helper).
private func require<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw TestFailure("missing \(what)") }
    return value
}
