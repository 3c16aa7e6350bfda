import Commands
import Foundation

/// The terminal of `openruko admin`: real stdin, stdout and stderr.
struct StandardIO: CommandIO {
    func readAll() async -> Data {
        await Task.detached { FileHandle.standardInput.readDataToEndOfFile() }.value
    }

    func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
