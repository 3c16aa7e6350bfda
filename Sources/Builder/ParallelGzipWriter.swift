import Crypto
import Foundation
import LibDeflate
import Synchronization

/// Compresses a byte stream into a gzip file on every core: the stream is cut into chunks,
/// each compressed by libdeflate into its own gzip member on a worker thread, and the
/// members are written in order. Concatenated members are one valid gzip stream, which
/// `tar -xz`, `gzip -d` and every gzip reader accept. Chunks whose sample does not compress
/// (already-compressed data) use the fastest level, where every level gives the same size.
///
/// Chunks end where `ChunkBoundaries` says, at the producer's `mark(anchor:)`s, so unchanged
/// stretches of a stream cut the same way on the next run; with a `SlugMemberCache` their
/// members are taken from the cache instead of being compressed again.
final class ParallelGzipWriter: @unchecked Sendable {
    // @unchecked: `buffer`, `inFlight`, `hasher`, `size` and `used` are used only by the
    // producing thread; workers share nothing but `queue` (a Mutex), the cache's reads and
    // each job's own fields, handed over through semaphores.
    private final class Job: @unchecked Sendable {
        let input: [UInt8]
        var output: [UInt8] = []
        var key: String?
        var cached = false
        let done = DispatchSemaphore(value: 0)
        init(_ input: [UInt8]) { self.input = input }
    }

    private let file: FileHandle
    private let boundaries: ChunkBoundaries
    private let level: Int
    private let cache: SlugMemberCache?
    private var used: Set<String> = []
    private let queue = Mutex<[Job?]>([])
    private let available = DispatchSemaphore(value: 0)
    private let workers: Int
    private var buffer: [UInt8] = []
    private var inFlight: [Job] = []
    private var hasher = SHA256()
    private(set) var size: Int64 = 0
    /// How many members came from the cache, and how many were compressed.
    private(set) var reused = 0
    private(set) var compressed = 0

    /// Opens `path` for writing (truncating) and starts the workers.
    /// - Parameters:
    ///   - boundaries: where chunks end.
    ///   - cache: where members are looked up and kept (nil: none).
    init(
        path: String, level: Int = 6, boundaries: ChunkBoundaries = ChunkBoundaries(), cache: SlugMemberCache? = nil,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw TarError(message: "cannot create \(path)")
        }
        self.file = file
        self.boundaries = boundaries
        self.level = level
        self.cache = cache
        self.workers = max(1, workers)
        buffer.reserveCapacity(boundaries.target)
        for _ in 0..<self.workers { startWorker() }
    }

    /// Appends bytes to the stream.
    func write(_ bytes: [UInt8]) throws {
        var bytes = bytes[...]
        while !bytes.isEmpty {
            let take = min(boundaries.maximum - buffer.count, bytes.count)
            buffer.append(contentsOf: bytes.prefix(take))
            bytes = bytes.dropFirst(take)
            if buffer.count >= boundaries.maximum { try submit() }
        }
    }

    /// Marks a place where a chunk may end (see `ChunkBoundaries`).
    func mark(anchor: Bool) throws {
        if boundaries.endsAtMark(anchor: anchor, filled: buffer.count) { try submit() }
    }

    /// Flushes everything, stops the workers and closes the file.
    /// - Returns: the compressed size and the SHA-256 (hex) of the file.
    func finish() throws -> (size: Int64, sha256: String) {
        if !buffer.isEmpty || size == 0 && inFlight.isEmpty { try submit() }
        while !inFlight.isEmpty { try drainOne() }
        stopWorkers()
        try file.close()
        if let cache {
            // The cache keeps this slug's members only, and none of a slug over its limit.
            if size <= cache.limit { cache.keepOnly(used) } else { cache.removeAll() }
        }
        return (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// Stops the workers without finishing (on failure).
    func abandon() {
        stopWorkers()
        try? file.close()
    }

    private func submit() throws {
        let job = Job(buffer)
        buffer = []
        buffer.reserveCapacity(boundaries.target)
        inFlight.append(job)
        queue.withLock { $0.append(job) }
        available.signal()
        if inFlight.count > workers * 2 { try drainOne() }
    }

    private func drainOne() throws {
        let job = inFlight.removeFirst()
        job.done.wait()
        let data = Data(job.output)
        hasher.update(data: data)
        size += Int64(data.count)
        try file.write(contentsOf: data)
        if job.cached { reused += 1 } else { compressed += 1 }
        if let cache, let key = job.key {
            if !job.cached && !used.contains(key) { cache.store(key, job.output) }
            used.insert(key)
        }
    }

    private var stopped = false

    private func stopWorkers() {
        guard !stopped else { return }
        stopped = true
        queue.withLock { jobs in
            for _ in 0..<workers { jobs.append(nil) }
        }
        for _ in 0..<workers { available.signal() }
    }

    private func startWorker() {
        let level = self.level
        let cache = self.cache
        let thread = Thread { [self] in
            let normal = GzipCompressor(level: level)
            let fast = GzipCompressor(level: 1)
            while true {
                self.available.wait()
                let next: Job?? = self.queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                guard let next, let job = next else { return }
                if let cache, !job.input.isEmpty {
                    let key = SlugMemberCache.key(job.input, level: level)
                    job.key = key
                    if let member = cache.member(key, for: job.input) {
                        job.output = member
                        job.cached = true
                        job.done.signal()
                        continue
                    }
                }
                job.output = Self.isIncompressible(job.input, probe: fast) ? fast.gzipMember(job.input) : normal.gzipMember(job.input)
                job.done.signal()
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Whether a 64 KiB sample from the middle of `input` shrinks by less than 3 %.
    private static func isIncompressible(_ input: [UInt8], probe: GzipCompressor) -> Bool {
        guard input.count >= 1 << 17 else { return false }
        let start = input.count / 2 - (1 << 15)
        let sample = Array(input[start..<(start + (1 << 16))])
        return probe.deflatedSize(of: sample) > sample.count * 97 / 100
    }
}
