import Commands
import Foundation

/// The terminal of `openruko admin` and of `openruko ssh-command`: real stdin, stdout and
/// stderr. Blocking reads run on their own thread, never on the cooperative pool.
struct StandardIO: CommandIO {
    func readAll() async -> Data {
        await Self.offPool { FileHandle.standardInput.readDataToEndOfFile() }
    }

    func read() async -> Data? {
        let chunk = await Self.offPool { FileHandle.standardInput.availableData }
        return chunk.isEmpty ? nil : chunk
    }

    func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    func send(_ data: Data) async throws {
        try FileHandle.standardOutput.write(contentsOf: data)
    }

    private static func offPool(_ body: @escaping @Sendable () -> Data) async -> Data {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }
}
