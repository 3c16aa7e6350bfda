import Foundation

/// Packs a build directory into a slug: a gzipped tar (see `TarWriter`) compressed on every
/// core (see `ParallelGzipWriter`), without the top-level `.git`.
package enum SlugPacker {
    /// What packing produced.
    package struct Result: Sendable, Hashable {
        /// Compressed size in bytes.
        package var size: Int64
        /// SHA-256 of the file, hex.
        package var sha256: String
        /// The five largest files (`./path`, uncompressed bytes), largest first.
        package var largest: [Largest]
        /// Gzip members taken from the app's member cache, and members compressed.
        package var reusedMembers = 0
        package var compressedMembers = 0
    }

    /// One of the largest files.
    package struct Largest: Sendable, Hashable {
        package var path: String
        package var size: Int64
    }

    /// Writes the slug of `directory` to `path`.
    /// - Parameters:
    ///   - level: gzip level (6 = `gzip`'s default).
    ///   - workers: compression threads (default: one per core).
    ///   - memberCache: the app's member cache (see `SlugMemberCache`): a directory only
    ///     openruko writes, one per app; nil packs without one.
    /// - Throws: `SlugPackError` when a file cannot be read or the slug written.
    package static func pack(
        _ directory: String, to path: String, level: Int = 6, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        memberCache: (directory: String, limit: Int64)? = nil
    ) throws(SlugPackError) -> Result {
        let gzip: ParallelGzipWriter
        do {
            let cache = memberCache.flatMap { SlugMemberCache(directory: $0.directory, limit: $0.limit) }
            gzip = try ParallelGzipWriter(path: path, level: level, cache: cache, workers: workers)
        } catch {
            throw SlugPackError(message: "Cannot write the slug \(path): \(error)")
        }
        var largest: [Largest] = []
        var writeError: (any Error)?
        do {
            try TarWriter { bytes in
                guard writeError == nil else { return }
                do { try gzip.write(bytes) } catch { writeError = error }
            } mark: { anchor in
                guard writeError == nil else { return }
                do { try gzip.mark(anchor: anchor) } catch { writeError = error }
            }.archive(directory, excluding: [".git"]) { name, size in
                if largest.count < 5 || size > largest[largest.count - 1].size {
                    largest.append(Largest(path: name, size: size))
                    largest.sort { $0.size > $1.size }
                    if largest.count > 5 { largest.removeLast() }
                }
            }
            if let writeError { throw writeError }
            let (size, sha256) = try gzip.finish()
            return Result(
                size: size, sha256: sha256, largest: largest, reusedMembers: gzip.reused, compressedMembers: gzip.compressed)
        } catch {
            gzip.abandon()
            try? FileManager.default.removeItem(atPath: path)
            throw SlugPackError(message: "Cannot pack the slug: \(error)")
        }
    }

    /// `12.3M` — Heroku's size notation (MiB, one decimal).
    package static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1fM", Double(bytes) / 1_048_576)
    }

    /// `200M` — a limit in whole MiB when it is one.
    package static func limit(_ bytes: Int64) -> String {
        bytes % 1_048_576 == 0 ? "\(bytes / 1_048_576)M" : megabytes(bytes)
    }
}

/// A slug that could not be written.
package struct SlugPackError: Error, Sendable, Hashable, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}
