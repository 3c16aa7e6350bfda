import Foundation

/// Directories a build asks to have moved from `BUILD_DIR` into `CACHE_DIR` once its slug is
/// packed, so a buildpack can take a cached tree into the build directory with a rename (not a
/// copy nor thousands of hard links) and get it back the same way. Buildpacks see
/// `OPENRUKO_CACHE_MOVES` (the request file, in `CACHE_DIR`) when openruko can do it, and append
/// lines `PATH<TAB>CACHED` (relative to `BUILD_DIR` and `CACHE_DIR`); without the variable (or on
/// Heroku) they keep a copy themselves.
///
/// The request and both trees are tenant content: every path component is opened without
/// following links, a move only renames a real directory to a name that does not exist yet, and
/// both ends stay in the build's workspace. At most `maximumMoves` lines are read.
enum CacheMoves {
    /// The request file's name in `CACHE_DIR`.
    static let fileName = ".openruko-moves"
    /// The variable naming the request file inside the sandbox.
    static let variable = "OPENRUKO_CACHE_MOVES"
    /// The most moves one build may ask for.
    static let maximumMoves = 16

    /// One requested move: path components under `BUILD_DIR`, and under `CACHE_DIR`.
    struct Move: Sendable, Hashable {
        var from: [String]
        var to: [String]
    }

    /// The valid lines of a request (pure): two relative paths separated by a tab, without
    /// empty, `.` or `..` components.
    static func parse(_ text: String) -> [Move] {
        var moves: [Move] = []
        for line in text.split(separator: "\n") where moves.count < maximumMoves {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2, let from = components(fields[0]), let to = components(fields[1]) else { continue }
            moves.append(Move(from: from, to: to))
        }
        return moves
    }

    private static func components(_ path: Substring) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.count <= 64, !path.hasPrefix("/"),
            parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\0") })
        else { return nil }
        return parts
    }

    /// Reads and removes the request in the workspace's cache, then makes the moves it asks for.
    /// Call it once the slug is packed (or the build failed), before the cache goes back.
    /// - Parameters:
    ///   - work: the workspace's mount (`BuildWorkspace.work`, openruko's own directory).
    ///   - build: `BUILD_DIR`'s name in `work`.
    /// - Returns: how many trees moved.
    @discardableResult
    static func apply(work: String, build: String) -> Int {
        guard let workFD = openDirectory(AT_FDCWD, [work]) else { return 0 }
        defer { close(workFD) }
        guard let cacheFD = openDirectory(workFD, ["tmp", "cache"]) else { return 0 }
        defer { close(cacheFD) }
        let descriptor = openat(cacheFD, fileName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return 0 }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        unlinkat(cacheFD, fileName, 0)
        var info = stat()
        guard fstat(descriptor, &info) == 0, UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFREG), info.st_size <= 1 << 16,
            let data = try? handle.read(upToCount: 1 << 16)
        else { return 0 }
        guard let buildFD = openDirectory(workFD, [build]) else { return 0 }
        defer { close(buildFD) }
        var moved = 0
        for move in parse(String(decoding: data, as: UTF8.self)) where self.move(move, build: buildFD, cache: cacheFD) {
            moved += 1
        }
        return moved
    }

    private static func move(_ move: Move, build: Int32, cache: Int32) -> Bool {
        guard let source = openDirectory(build, Array(move.from.dropLast())) else { return false }
        defer { close(source) }
        guard let target = openDirectory(cache, Array(move.to.dropLast())) else { return false }
        defer { close(target) }
        let from = move.from[move.from.count - 1]
        let to = move.to[move.to.count - 1]
        var info = stat()
        guard fstatat(source, from, &info, AT_SYMLINK_NOFOLLOW) == 0, UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFDIR),
            fstatat(target, to, &info, AT_SYMLINK_NOFOLLOW) != 0, errno == ENOENT
        else { return false }
        return renameat(source, from, target, to) == 0
    }

    /// Opens the directory `components` below `base`, following no link on the way.
    private static func openDirectory(_ base: Int32, _ components: [String]) -> Int32? {
        var current = base
        for component in components {
            let next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if current != base { close(current) }
            guard next >= 0 else { return nil }
            current = next
        }
        guard current == base else { return current }
        let copy = dup(base)
        return copy >= 0 ? copy : nil
    }
}
