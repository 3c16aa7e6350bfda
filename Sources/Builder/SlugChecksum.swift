import Crypto
import Foundation

/// SHA-256 of whole files, for artifacts not packed here.
enum SlugChecksum {
    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
