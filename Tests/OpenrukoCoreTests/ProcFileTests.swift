import Foundation
import OpenrukoCore
import Testing

/// `/proc` files longer than a page are read whole (Foundation's own readers stop after the
/// first read: a busy host's `/proc/net/tcp` or `mountinfo` came back cut at ~4 KB).
@Suite(.timeLimit(.minutes(1))) struct ProcFileTests {
    @Test func aLongProcFileIsReadWhole() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["30"]
        let long = String(repeating: "x", count: 20_000)
        process.environment = ["LONG": long]
        try process.run()
        defer { process.terminate() }
        // What the kernel shows once the child runs `sleep` (a loaded machine may take a while).
        let expected = "LONG=".utf8.count + long.utf8.count + 1
        var environ = ""
        for _ in 0..<200 {
            environ = ProcFile.read("/proc/\(process.processIdentifier)/environ") ?? ""
            if environ.utf8.count == expected { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(environ.utf8.count == expected, "read \(environ.utf8.count) bytes")
        #expect(environ.hasSuffix(long + "\u{0}"))
        #expect(ProcFile.read("/proc/0/no-such-file") == nil)
    }
}
