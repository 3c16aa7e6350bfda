import Commands
import Foundation
import LibSSH

/// The streams of a command run in-process for an SSH channel: real pipes, so the channel
/// pump treats the command exactly like a spawned git (same code carries both).
final class PipeCommandIO: CommandIO {
    private let input: AsyncPipeReader
    private let output: AsyncPipeWriter
    private let errors: AsyncPipeWriter

    /// Takes ownership of the command's ends of the three pipes.
    init(stdin: Int32, stdout: Int32, stderr: Int32) {
        input = AsyncPipeReader(descriptor: stdin)
        output = AsyncPipeWriter(descriptor: stdout)
        errors = AsyncPipeWriter(descriptor: stderr)
    }

    func read() async -> Data? { await input.read() }
    func write(_ text: String) { output.enqueue(Data(text.utf8)) }
    func writeError(_ text: String) { errors.enqueue(Data(text.utf8)) }
    func send(_ data: Data) async throws { try await output.send(data) }

    /// Closes every stream at once, dropping unsent output (a stopped command: its client may
    /// never read what is left).
    func abandon() {
        input.close()
        output.abandon()
        errors.abandon()
    }

    /// Flushes and closes every stream (the channel sees EOF on both outputs).
    func finish() async {
        input.close()
        await output.finish()
        await errors.finish()
    }
}
