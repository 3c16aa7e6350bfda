import Foundation

/// Writes a POSIX tar stream (ustar headers, PAX `x` records for long names) of a
/// directory, the way a slug needs it: entries named `./path`, owned by root (uid/gid 0),
/// modes, exec bits, mtimes and symlinks kept, hard links stored as regular files, sockets
/// and devices left out. Output goes to `emit` in order; `mark` is called where the stream
/// may be cut, with whether the place is an anchor (`ChunkBoundaries`): before each entry,
/// and (anchors) every MiB into a file's contents.
struct TarWriter {
    private let emit: ([UInt8]) -> Void
    private let mark: (_ anchor: Bool) -> Void

    init(emit: @escaping ([UInt8]) -> Void, mark: @escaping (_ anchor: Bool) -> Void = { _ in }) {
        self.emit = emit
        self.mark = mark
    }

    /// Writes `./` and every entry under `root` (skipping top-level names in `excluding`),
    /// then the end-of-archive blocks.
    /// - Parameter file: called for each regular file with its relative path and size.
    func archive(_ root: String, excluding: Set<String>, file: (String, Int64) -> Void) throws {
        if case .directory(_, let mtime) = FileTree.kind(root) {
            // The slug's root becomes /app: readable by the dyno whatever the build dir's mode.
            entry(name: "./", type: "5", mode: 0o755, size: 0, mtime: mtime, link: "")
        }
        var excluded: [String] = []
        try FileTree.walk(root) { relative, kind in
            if excluding.contains(relative) || excluded.contains(where: { relative.hasPrefix($0 + "/") }) {
                if case .directory = kind { excluded.append(relative) }
                return
            }
            let name = "./" + relative
            mark(ChunkBoundaries.isAnchor(name: name))
            switch kind {
            case .directory(let mode, let mtime):
                entry(name: name + "/", type: "5", mode: mode, size: 0, mtime: mtime, link: "")
            case .symlink(let target, let mtime):
                entry(name: name, type: "2", mode: 0o777, size: 0, mtime: mtime, link: target)
            case .file(let size, let mode, let mtime):
                try contents(of: root + "/" + relative, name: name, size: size, mode: mode, mtime: mtime)
                file(name, size)
            case .other:
                return
            }
        }
        emit([UInt8](repeating: 0, count: 1024))
    }

    private func contents(of path: String, name: String, size: Int64, mode: UInt32, mtime: Int) throws {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw TarError(message: "cannot read \(name): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        entry(name: name, type: "0", mode: mode, size: size, mtime: mtime, link: "")
        var remaining = size
        while remaining > 0 {
            if remaining < size { mark(true) }
            let want = Int(min(remaining, 1 << 20))
            var bytes = [UInt8]((try? handle.read(upToCount: want)) ?? Data())
            if bytes.isEmpty {
                // The file shrank while being read: keep the archive well-formed.
                bytes = [UInt8](repeating: 0, count: want)
            }
            emit(bytes)
            remaining -= Int64(bytes.count)
        }
        let padding = Int((512 - size % 512) % 512)
        if padding > 0 { emit([UInt8](repeating: 0, count: padding)) }
    }

    /// One header (preceded by a PAX header when a name does not fit ustar).
    private func entry(name: String, type: Character, mode: UInt32, size: Int64, mtime: Int, link: String) {
        var pax: [(String, String)] = []
        let nameBytes = Array(name.utf8)
        let (prefix, short) = Self.splitName(nameBytes) ?? ([], Array(nameBytes.prefix(100)))
        if Self.splitName(nameBytes) == nil { pax.append(("path", name)) }
        if link.utf8.count > 100 { pax.append(("linkpath", link)) }
        if size > 0o77777777777 { pax.append(("size", String(size))) }
        if !pax.isEmpty {
            var records: [UInt8] = []
            for (key, value) in pax { records += Self.paxRecord(key, value) }
            emit(Self.header(
                name: Array("./PaxHeaders/".utf8) + short.suffix(80), prefix: [], type: "x", mode: 0o644, size: Int64(records.count),
                mtime: mtime, link: []))
            emit(records + [UInt8](repeating: 0, count: (512 - records.count % 512) % 512))
        }
        emit(Self.header(
            name: short, prefix: prefix, type: type, mode: mode, size: size > 0o77777777777 ? 0 : size, mtime: mtime,
            link: Array(link.utf8.prefix(100))))
    }

    /// Splits a name into ustar `prefix` (≤155) and `name` (≤100) at a `/`, or nil.
    static func splitName(_ bytes: [UInt8]) -> ([UInt8], [UInt8])? {
        if bytes.count <= 100 { return ([], bytes) }
        guard bytes.count <= 256 else { return nil }
        let body = bytes.last == UInt8(ascii: "/") ? bytes.dropLast() : bytes[...]
        for index in body.indices.reversed() where body[index] == UInt8(ascii: "/") {
            let prefix = Array(bytes[..<index])
            let rest = Array(bytes[(index + 1)...])
            if prefix.count <= 155 && rest.count <= 100 && !rest.isEmpty { return (prefix, rest) }
        }
        return nil
    }

    /// `"%d key=value\n"` where the length counts itself.
    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return Array((String(length) + body).utf8)
    }

    static func header(name: [UInt8], prefix: [UInt8], type: Character, mode: UInt32, size: Int64, mtime: Int, link: [UInt8])
        -> [UInt8]
    {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int, width: Int) {
            for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let text = String(value, radix: 8)
            put(Array((String(repeating: "0", count: max(0, width - 1 - text.count)) + text).utf8), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(Int64(mode), at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(Int64(max(0, mtime)), at: 136, width: 12)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148, width: 8)
        block[156] = type.asciiValue ?? UInt8(ascii: "0")
        put(link, at: 157, width: 100)
        put(Array("ustar\u{0}00".utf8), at: 257, width: 8)
        put(Array("root".utf8), at: 265, width: 32)
        put(Array("root".utf8), at: 297, width: 32)
        put(prefix, at: 345, width: 155)
        let checksum = block.reduce(0) { $0 + Int64($1) }
        let text = String(checksum, radix: 8)
        put(Array((String(repeating: "0", count: max(0, 6 - text.count)) + text).utf8) + [0, UInt8(ascii: " ")], at: 148, width: 8)
        return block
    }
}

/// A file that could not be archived.
struct TarError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
