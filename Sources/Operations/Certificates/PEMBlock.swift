/// One `-----BEGIN LABEL----- … -----END LABEL-----` block of a PEM text. Text around and
/// between blocks (openssl's `Bag Attributes`, comments) is ignored, as OpenSSL does.
package struct PEMBlock: Hashable, Sendable {
    /// `CERTIFICATE`, `PRIVATE KEY`, `EC PRIVATE KEY`…
    package var label: String
    /// The whole block, BEGIN and END lines included, with `\n` line ends.
    package var text: String
    /// Whether the block carries RFC 1421 headers saying it is encrypted (`Proc-Type: 4,ENCRYPTED`).
    package var hasEncryptionHeaders: Bool

    /// Every well-formed block of `text`, in order.
    package static func parse(_ text: String) -> [PEMBlock] {
        var blocks: [PEMBlock] = []
        var label: String?
        var lines: [Substring] = []
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = raw.trimmingSuffix(while: \.isWhitespace)
            if let open = label {
                lines.append(line)
                if line == "-----END \(open)-----" {
                    let encrypted = lines.contains { $0.hasPrefix("Proc-Type:") && $0.contains("ENCRYPTED") }
                    blocks.append(PEMBlock(label: open, text: lines.joined(separator: "\n") + "\n", hasEncryptionHeaders: encrypted))
                    label = nil
                } else if line.hasPrefix("-----BEGIN ") {
                    label = nil  // an unterminated block: start over at this one
                }
            }
            if label == nil, line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 {
                label = String(line.dropFirst(11).dropLast(5))
                lines = [line]
            }
        }
        return blocks
    }

    /// Whether this block is a certificate.
    package var isCertificate: Bool { label == "CERTIFICATE" }
    /// Whether this block is a private key, plain or encrypted.
    package var isPrivateKey: Bool { label.hasSuffix("PRIVATE KEY") }
    /// Whether this block is a private key that needs a passphrase.
    package var isEncryptedKey: Bool { isPrivateKey && (label.hasPrefix("ENCRYPTED") || hasEncryptionHeaders) }
}

extension Substring {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var end = endIndex
        while end > startIndex, predicate(self[index(before: end)]) { end = index(before: end) }
        return self[startIndex..<end]
    }
}
