import OpenrukoCore
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(2))) struct TerminalSizeTests {
    @Test func sizesAreClampedAndUnknownSidesAreStandard() {
        #expect(TerminalSize(columns: 120, lines: 40) == TerminalSize(columns: 120, lines: 40))
        let unknown = TerminalSize(columns: 0, lines: -3)
        #expect(unknown.columns == 80 && unknown.lines == 24)
        let huge = TerminalSize(columns: 65535, lines: Int(Int32.max))
        #expect(huge.columns == TerminalSize.maximum && huge.lines == TerminalSize.maximum)
        let missing = TerminalSize(columns: nil, lines: 50)
        #expect(missing.columns == 80 && missing.lines == 50)
    }

    @Test func onlyTerminfoNamesAreTERMValues() {
        for good in ["xterm", "xterm-256color", "screen.xterm-256color", "vt100+fnkeys", "rxvt_unicode", "tmux-256color"] {
            #expect(TerminalSize.term(good) == good)
        }
        let hostile = [
            "", "xterm; rm -rf /", "$(reboot)", "`id`", "xterm\nPATH=/tmp", "-xterm", ".hidden", "x y", "xterm\0", "ä-term",
            String(repeating: "x", count: 65), String(repeating: "x", count: 10_000),
        ]
        for bad in hostile { #expect(TerminalSize.term(bad) == nil, "\(bad.prefix(20))") }
        #expect(TerminalSize.term(nil) == nil)
    }

    @Test func aWindowTellsItsListenerOfChangesOnly() {
        let window = TerminalWindow(term: "xterm;id", size: TerminalSize(columns: 100, lines: 30))
        #expect(window.term == nil)
        let heard = Heard()
        window.onResize { heard.append($0) }
        window.resize(TerminalSize(columns: 100, lines: 30))
        window.resize(TerminalSize(columns: 90, lines: 20))
        window.onResize(nil)
        window.resize(TerminalSize(columns: 70, lines: 20))
        #expect(heard.sizes == [TerminalSize(columns: 90, lines: 20)])
        #expect(window.size == TerminalSize(columns: 70, lines: 20))
    }
}

/// What a listener heard.
private final class Heard: Sendable {
    private let list = Mutex<[TerminalSize]>([])
    func append(_ size: TerminalSize) { list.withLock { $0.append(size) } }
    var sizes: [TerminalSize] { list.withLock { $0 } }
}
