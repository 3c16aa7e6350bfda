import Crypto
import Foundation
import LibDeflate
import OpenrukoCore

/// One app's compressed slug chunks from its last build, so that a re-push compresses only
/// what changed: each gzip member `ParallelGzipWriter` writes is kept in a file named after
/// the SHA-256 of its uncompressed bytes (and the level). A member is only reused after it
/// decompresses to exactly the bytes being packed, so a damaged or altered file costs a
/// recompression, never a wrong slug.
///
/// The directory (`DataLayout.slugMembers`) is openruko's own (0700, beside the app's slugs,
/// never inside the build cache the build's sandbox writes), one per app, and holds at most
/// `limit` bytes: new members are not kept past it, and a finished slug keeps only its own
/// members (`keepOnly`). Files are opened without following links and written through a
/// temporary name and a rename. The builds of one app are serialised by its build lock, so
/// only one writer uses a directory at a time.
final class SlugMemberCache: @unchecked Sendable {
    // @unchecked: `stored` is used only by the producing thread (`store`, `keepOnly`);
    // workers only call `member`, which reads files and nothing mutable here.
    /// The directory holding the members.
    let directory: String
    /// The most bytes the directory may hold.
    let limit: Int64
    private var stored: Int64

    /// Opens (creating it, mode 0700) the cache at `directory`.
    /// - Returns: nil when the directory cannot be made or is not a real directory.
    init?(directory: String, limit: Int64) {
        mkdir(directory, 0o700)
        var info = stat()
        guard lstat(directory, &info) == 0, UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFDIR), info.st_uid == geteuid() else { return nil }
        self.directory = directory
        self.limit = limit
        stored = Self.entries(directory).reduce(0) { $0 + $1.size }
    }

    /// The file name of the member of `input` at `level`: `<sha256 hex>.<level>.gz`.
    static func key(_ input: [UInt8], level: Int) -> String {
        Hex.encode(SHA256.hash(data: input)) + ".\(level).gz"
    }

    /// The cached member named `key`, if it decompresses to exactly `input`.
    func member(_ key: String, for input: [UInt8]) -> [UInt8]? {
        // A member never exceeds its input by more than gzip's framing and stored blocks.
        guard let data = FileTree.read(directory + "/" + key, limit: input.count + input.count / 16 + 4096) else { return nil }
        let bytes = [UInt8](data)
        guard GzipDecompressor.member(bytes, size: input.count) == input else { return nil }
        return bytes
    }

    /// Keeps `member` under `key` unless the directory would go over `limit`.
    func store(_ key: String, _ member: [UInt8]) {
        guard stored + Int64(member.count) <= limit else { return }
        let path = directory + "/" + key
        let partial = path + ".partial"
        let descriptor = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(member))
            try handle.close()
        } catch {
            unlink(partial)
            return
        }
        if rename(partial, path) == 0 { stored += Int64(member.count) } else { unlink(partial) }
    }

    /// Removes every file but the members named in `keys` (those of the slug just packed).
    func keepOnly(_ keys: Set<String>) {
        for entry in Self.entries(directory) where !keys.contains(entry.name) {
            if unlink(directory + "/" + entry.name) == 0 { stored -= entry.size }
        }
    }

    /// Removes the whole cache (a slug too large to keep).
    func removeAll() {
        keepOnly([])
        rmdir(directory)
    }

    /// The names and sizes of the entries in `directory` (not following links).
    private static func entries(_ directory: String) -> [(name: String, size: Int64)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).map { name in
            var info = stat()
            return (name, lstat(directory + "/" + name, &info) == 0 ? Int64(info.st_size) : 0)
        }
    }
}
