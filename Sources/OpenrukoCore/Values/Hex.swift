/// Lowercase hexadecimal text of bytes, without `String(format:)` (slow on hot paths such as
/// hashing every API token).
package enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `[0xab, 0x01]` → `"ab01"`.
    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
