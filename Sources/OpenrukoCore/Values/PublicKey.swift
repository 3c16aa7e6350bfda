package import Foundation
import Crypto

/// An SSH public key as found in `authorized_keys` and `*.pub` files, parsed and checked:
/// the wire blob must decode and agree with its declared type.
package struct PublicKey: Hashable, Sendable {
    /// The algorithm name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`…).
    package let type: String
    /// The key blob in base64, as written in the file.
    package let base64: String
    /// The comment after the key, usually `user@host`; empty when absent.
    package let comment: String
    /// `SHA256:…`, exactly what `ssh-keygen -lf` prints.
    package let fingerprint: String

    /// The key types openruko accepts.
    package static let acceptedTypes = [
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
    ]

    /// Parses one line `TYPE BASE64 [COMMENT]`.
    /// - Throws: `OpenrukoError.invalid` saying what is wrong with the key.
    package init(parsing line: String) throws(OpenrukoError) {
        let text = line.trimmingWhitespace()
        let fields = text.split(maxSplits: 2, whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 2 else {
            throw Self.malformed("expected 'TYPE BASE64 [COMMENT]', as in a .pub file")
        }
        if text.contains("PRIVATE KEY") { throw Self.malformed("this is a private key; send the .pub file") }
        let type = String(fields[0])
        guard Self.acceptedTypes.contains(type) else {
            throw OpenrukoError(
                .invalid,
                "Unsupported key type \(type.debugDescription). Use ed25519, ecdsa or rsa keys (ssh-keygen -t ed25519).",
                resource: "key")
        }
        guard let blob = Data(base64Encoded: String(fields[1])) else {
            throw Self.malformed("the key data is not valid base64")
        }
        var reader = WireReader(blob)
        guard let declared = reader.string(), String(decoding: declared, as: UTF8.self) == type else {
            throw Self.malformed("the key data does not match its type \(type)")
        }
        try Self.checkBody(type: type, reader: &reader)
        self.type = type
        self.base64 = String(fields[1])
        self.comment = fields.count > 2 ? String(fields[2]).trimmingWhitespace() : ""
        self.fingerprint = Self.fingerprint(ofBlob: blob)
    }

    /// `TYPE BASE64 COMMENT`, one line.
    package var line: String { comment.isEmpty ? "\(type) \(base64)" : "\(type) \(base64) \(comment)" }

    /// `SHA256:` followed by unpadded base64 of the blob's SHA-256 digest.
    package static func fingerprint(ofBlob blob: Data) -> String {
        let digest = Data(SHA256.hash(data: blob)).base64EncodedString()
        return "SHA256:" + digest.replacingOccurrences(of: "=", with: "")
    }

    private static func malformed(_ why: String) -> OpenrukoError {
        OpenrukoError(.invalid, "Malformed public key: \(why).", resource: "key")
    }

    private static func checkBody(type: String, reader: inout WireReader) throws(OpenrukoError) {
        switch type {
        case "ssh-ed25519":
            guard let key = reader.string(), key.count == 32 else { throw malformed("bad ed25519 key length") }
        case "ssh-rsa":
            guard let e = reader.string(), !e.isEmpty, let n = reader.string() else { throw malformed("bad rsa key") }
            let bits = n.drop(while: { $0 == 0 }).count * 8
            guard bits >= 1024 else { throw malformed("rsa keys must have at least 1024 bits (2048 or more is better)") }
        default:
            let curve = type.replacingOccurrences(of: "ecdsa-sha2-", with: "")
            let sizes = ["nistp256": 65, "nistp384": 97, "nistp521": 133]
            guard let name = reader.string(), String(decoding: name, as: UTF8.self) == curve,
                let point = reader.string(), point.count == sizes[curve], point.first == 4
            else { throw malformed("bad ecdsa key") }
        }
        guard reader.isAtEnd else { throw malformed("trailing bytes after the key") }
    }
}

/// Reads SSH wire-format strings (uint32 length + bytes).
private struct WireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ data: Data) { bytes = Array(data) }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func string() -> [UInt8]? {
        guard bytes.count - offset >= 4 else { return nil }
        let length = bytes[offset..<offset + 4].reduce(0) { ($0 << 8) | Int($1) }
        offset += 4
        guard length >= 0, bytes.count - offset >= length else { return nil }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }
}
