import OpenrukoCore
@testable import Runtime
import Testing

@Suite(.timeLimit(.minutes(2))) struct OneOffTerminalWrapTests {
    let launcher = ["/bin/bash", "-c", "exec bash -c \"$1\"", "openruko-dyno", "echo 'it''s'; exit 3"]

    @Test func theCommandRunsOnAPTYOfTheSizeThatFollowsResizes() throws {
        let wrapped = OneOffTerminal(size: TerminalSize(columns: 120, lines: 40)).wrap(launcher)
        #expect(Array(wrapped.prefix(2)) == ["/usr/bin/script", "-qfec"] && wrapped.last == "/dev/null")
        let line = wrapped[2]
        #expect(line.hasPrefix("stty rows 40 cols 120 2>/dev/null; "))
        #expect(line.contains("<\(OneOffTerminal.resizePath) "), "the resize loop reads the FIFO")
        #expect(line.contains("trap '' INT QUIT TSTP"), "Ctrl-C does not stop the resize loop")
        // Every word of the command stays one single-quoted word.
        #expect(line.hasSuffix(#"exec '/bin/bash' '-c' 'exec bash -c "$1"' 'openruko-dyno' 'echo '\''it'\'''\''s'\''; exit 3'"#))
    }

    @Test func aJoinedProcessReadsResizesFromItsInheritedDescriptor() {
        let wrapped = OneOffTerminal(size: TerminalSize(columns: 90, lines: 30), resizeDescriptor: 4).wrap(["/bin/sh", "-c", "id"])
        let line = wrapped[2]
        #expect(line.contains("done) <&4 >/dev/null 2>&1 &"), "the resize loop reads descriptor 4: \(line)")
        #expect(!line.contains(OneOffTerminal.resizePath), "no bound FIFO in a running sandbox")
        // The command itself does not inherit the descriptor.
        #expect(line.hasSuffix("exec '/bin/sh' '-c' 'id' 4<&-"), "\(line)")
    }

    @Test func withoutAFIFOThePTYKeepsItsFirstSize() {
        let wrapped = OneOffTerminal(size: TerminalSize(columns: 0, lines: 99_999), followsResizes: false).wrap(["/bin/true"])
        #expect(wrapped[2] == "stty rows 1000 cols 80 2>/dev/null; exec '/bin/true'")
    }
}
