/// Lowercase hexadecimal text of bytes, without `String(format:)` (slow on hot paths such as
/// hashing every API token and every response's ETag).
package enum Hex {
    /// `[0xab, 0x01]` → `"ab01"`.
    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        // Called across modules, so unspecialized: iterate generically once, then work on bytes.
        if let text = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0)) }) { return text }
        return Array(bytes).withUnsafeBytes { encode($0) }
    }

    /// The hexadecimal text of raw bytes (digests: `digest.withUnsafeBytes(Hex.encode)`).
    package static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digit(byte >> 4)
                out[2 * index + 1] = digit(byte & 0x0F)
            }
            return bytes.count * 2
        }
    }

    private static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
