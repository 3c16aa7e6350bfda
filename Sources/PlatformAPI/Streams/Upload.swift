import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Receives a raw upload (a source tarball, a slug archive) into a file, hashing it on the
/// way and stopping at a size limit.
enum Upload {
    /// Writes the request body to `path` (replacing it).
    /// - Returns: the size and the SHA-256 in hex.
    /// - Throws: 413 `request_too_large` past `limit` (the partial file is removed).
    static func receive(_ body: RequestBody, to path: String, limit: Int64) async throws -> (size: Int64, sha256: String) {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw OpenrukoError(.internal, "Cannot write the upload.")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            defer { try? handle.close() }
            for try await buffer in body {
                size += Int64(buffer.readableBytes)
                guard size <= limit else {
                    throw APIError(.contentTooLarge, id: "request_too_large", "The upload is larger than \(limit / 1_048_576) MB.")
                }
                let data = Data(buffer.readableBytesView)
                hasher.update(data: data)
                try handle.write(contentsOf: data)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return (size, Hex.encode(hasher.finalize()))
    }
}
