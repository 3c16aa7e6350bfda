internal import CLibDeflate

/// A libdeflate compressor producing complete gzip members; the one owner of its
/// `libdeflate_compressor*`. Not thread-safe: use one per thread. Concatenated members are
/// one valid gzip stream (RFC 1952 §2.2), so independently compressed chunks can be joined.
package final class GzipCompressor {
    private let handle: OpaquePointer
    /// The compression level (0–12; 6 is gzip's default).
    package let level: Int

    /// - Parameter level: 1 (fastest) to 12 (smallest); libdeflate's 6 matches `gzip -6` in size.
    package init(level: Int) {
        self.level = level
        // Only fails on out-of-memory or an invalid level; both are programming errors here.
        handle = libdeflate_alloc_compressor(Int32(level))!
    }

    deinit {
        libdeflate_free_compressor(handle)
    }

    /// Compresses `input` into one complete gzip member.
    package func gzipMember(_ input: [UInt8]) -> [UInt8] {
        let bound = libdeflate_gzip_compress_bound(handle, input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                libdeflate_gzip_compress(handle, source.baseAddress, source.count, destination.baseAddress, destination.count)
            }
        }
        // The bound guarantees room; 0 would mean it was wrong.
        precondition(written > 0, "libdeflate_gzip_compress_bound was too small")
        output.removeSubrange(written...)
        return output
    }

    /// Compresses `input` as raw DEFLATE (no header) and returns the compressed size only,
    /// to judge how compressible a sample is.
    package func deflatedSize(of input: [UInt8]) -> Int {
        let bound = libdeflate_deflate_compress_bound(handle, input.count)
        var output = [UInt8](repeating: 0, count: bound)
        return input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                libdeflate_deflate_compress(handle, source.baseAddress, source.count, destination.baseAddress, destination.count)
            }
        }
    }
}

/// A libdeflate decompressor for whole gzip members (tests and checks).
package enum GzipDecompressor {
    /// Decompresses `input`, which must be exactly one gzip member of `size` uncompressed bytes
    /// (its CRC-32 checked by libdeflate).
    /// - Returns: nil when it is not valid gzip, holds more than one member or another size.
    package static func member(_ input: [UInt8], size: Int) -> [UInt8]? {
        guard let handle = libdeflate_alloc_decompressor() else { return nil }
        defer { libdeflate_free_decompressor(handle) }
        var output = [UInt8](repeating: 0, count: size)
        var consumed = 0
        var produced = 0
        let status = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                libdeflate_gzip_decompress_ex(
                    handle, source.baseAddress, source.count, destination.baseAddress, destination.count, &consumed, &produced)
            }
        }
        guard status == LIBDEFLATE_SUCCESS, consumed == input.count, produced == size else { return nil }
        return output
    }

    /// Decompresses a whole (possibly multi-member) gzip stream.
    /// - Returns: nil when the data is not valid gzip.
    package static func gunzip(_ input: [UInt8]) -> [UInt8]? {
        guard let handle = libdeflate_alloc_decompressor() else { return nil }
        defer { libdeflate_free_decompressor(handle) }
        var result: [UInt8] = []
        var offset = 0
        var capacity = max(input.count * 4, 1 << 16)
        while offset < input.count {
            var output = [UInt8](repeating: 0, count: capacity)
            var consumed = 0
            var produced = 0
            let status = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { destination in
                    libdeflate_gzip_decompress_ex(
                        handle, source.baseAddress! + offset, source.count - offset, destination.baseAddress,
                        destination.count, &consumed, &produced)
                }
            }
            if status == LIBDEFLATE_INSUFFICIENT_SPACE {
                capacity *= 2
                continue
            }
            guard status == LIBDEFLATE_SUCCESS else { return nil }
            result.append(contentsOf: output[..<produced])
            offset += consumed
        }
        return result
    }
}
