import NIOCore
import OpenrukoCore

/// ACME HTTP-01: the plain listener answers `GET /.well-known/acme-challenge/TOKEN` itself
/// when openruko has that token pending for that host (see `ACMEChallenges`); anything else,
/// unknown tokens included, is routed to the app as before.
extension ProxyHandler {
    /// The path prefix of HTTP-01 challenges (RFC 8555 §8.3).
    static let challengePrefix = "/.well-known/acme-challenge/"

    /// The key authorization to answer this request with, or nil to route it.
    func challengeAnswer(_ head: ParsedHead, _ headBytes: ByteBuffer, host: String) -> String? {
        guard let challenges = environment.challenges, challenges.count > 0 else { return nil }
        let method = HeadWriter.string(headBytes, head.method)
        guard method == "GET" || method == "HEAD" else { return nil }
        let target = HeadWriter.string(headBytes, head.target)
        guard target.hasPrefix(Self.challengePrefix) else { return nil }
        let token = target.dropFirst(Self.challengePrefix.count)
        guard !token.isEmpty, token.count <= 256 else { return nil }
        return challenges.answer(host: host, token: String(token))
    }

    /// Sends `keyAuthorization` as a 200 `text/plain` answer, like `fail` sends an error page.
    func answerChallenge(_ keyAuthorization: String) {
        guard let exchange else { return }
        self.exchange = nil
        let keepAlive = machine.answer(at: .now()) != .close
        var answer = allocator.buffer(capacity: 512)
        HeadWriter.writeAnswer(
            status: 200, reason: "OK", body: keyAuthorization, contentType: "text/plain", keepAlive: keepAlive, via: forwarding.via,
            includeBody: !exchange.isHEAD, into: &answer)
        write(answer)
        guard keepAlive else { return closeAfterFlush() }
        flushClientIfNeeded()
        processInbound()
    }
}
