import Foundation
import Synchronization

/// The secrets of `rendezvous://HOST:PORT/SECRET` attach URLs: each names one attachment,
/// is random (32 bytes, hex), works once, and is gone when claimed or when its attachment
/// expired unclaimed. The API posts them; the rendezvous listener claims them.
///
/// ```swift
/// let secret = board.post(attachment)         // in attach_url
/// board.claim(secret)?.connect()              // the listener, once the client sent it
/// ```
package final class RendezvousBoard: Sendable {
    /// Every secret has exactly this many characters (heroku3 sends it without a line end).
    package static let secretLength = 64
    private let entries = Mutex<[String: DynoAttachment]>([:])
    private let boundPort = Mutex<Int?>(nil)

    package init() {}

    /// The port the rendezvous listener is bound to, once it is.
    package var port: Int? { boundPort.withLock { $0 } }

    /// Called by the listener once bound.
    package func listening(on port: Int) { boundPort.withLock { $0 = port } }

    /// A new secret for `attachment`.
    package func post(_ attachment: DynoAttachment) -> String {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        entries.withLock { entries in
            entries = entries.filter { $0.value.isClaimable }
            entries[secret] = attachment
        }
        return secret
    }

    /// The attachment of `secret`, once (nil for an unknown, used or expired secret).
    package func claim(_ secret: String) -> DynoAttachment? {
        entries.withLock { $0.removeValue(forKey: secret) }.flatMap { $0.isClaimable ? $0 : nil }
    }
}
