import Crypto
import Foundation
import LibDeflate
import Synchronization

/// Compresses a byte stream into a gzip file on every core: the stream is cut into chunks,
/// each compressed by libdeflate into its own gzip member on a worker thread, and the
/// members are written in order. Concatenated members are one valid gzip stream, which
/// `tar -xz`, `gzip -d` and every gzip reader accept. Chunks whose sample does not compress
/// (already-compressed data) use the fastest level, where every level gives the same size.
final class ParallelGzipWriter: @unchecked Sendable {
    // @unchecked: `buffer`, `inFlight`, `hasher` and `size` are used only by the producing
    // thread; workers share nothing but `queue` (a Mutex) and each job's own fields, handed
    // over through semaphores.
    private final class Job: @unchecked Sendable {
        let input: [UInt8]
        var output: [UInt8] = []
        let done = DispatchSemaphore(value: 0)
        init(_ input: [UInt8]) { self.input = input }
    }

    private let file: FileHandle
    private let chunkSize: Int
    private let level: Int
    private let queue = Mutex<[Job?]>([])
    private let available = DispatchSemaphore(value: 0)
    private let workers: Int
    private var buffer: [UInt8] = []
    private var inFlight: [Job] = []
    private var hasher = SHA256()
    private(set) var size: Int64 = 0

    /// Opens `path` for writing (truncating) and starts the workers.
    init(path: String, level: Int = 6, chunkSize: Int = 1 << 21, workers: Int = ProcessInfo.processInfo.activeProcessorCount)
        throws
    {
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw TarError(message: "cannot create \(path)")
        }
        self.file = file
        self.chunkSize = chunkSize
        self.level = level
        self.workers = max(1, workers)
        buffer.reserveCapacity(chunkSize)
        for _ in 0..<self.workers { startWorker() }
    }

    /// Appends bytes to the stream.
    func write(_ bytes: [UInt8]) throws {
        var bytes = bytes[...]
        while !bytes.isEmpty {
            let take = min(chunkSize - buffer.count, bytes.count)
            buffer.append(contentsOf: bytes.prefix(take))
            bytes = bytes.dropFirst(take)
            if buffer.count == chunkSize { try submit() }
        }
    }

    /// Flushes everything, stops the workers and closes the file.
    /// - Returns: the compressed size and the SHA-256 (hex) of the file.
    func finish() throws -> (size: Int64, sha256: String) {
        if !buffer.isEmpty || size == 0 && inFlight.isEmpty { try submit() }
        while !inFlight.isEmpty { try drainOne() }
        stopWorkers()
        try file.close()
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
        buffer.reserveCapacity(chunkSize)
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
        let thread = Thread { [self] in
            let normal = GzipCompressor(level: level)
            let fast = GzipCompressor(level: 1)
            while true {
                self.available.wait()
                let next: Job?? = self.queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                guard let next, let job = next else { return }
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
