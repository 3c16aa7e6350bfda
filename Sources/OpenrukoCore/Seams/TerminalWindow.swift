import Synchronization

/// A client's terminal as an attached one-off dyno sees it: its `TERM` (validated) and its
/// current size, which the front end changes as the client's window changes (`ssh`'s
/// `window-change`) and the runtime follows (it resizes the dyno's PTY).
///
/// ```swift
/// let window = TerminalWindow(term: "xterm", size: TerminalSize(columns: 120, lines: 40))
/// window.onResize { size in resizeThePTY(size) }   // the runtime
/// window.resize(TerminalSize(columns: 100, lines: 30))   // the front end, on window-change
/// ```
package final class TerminalWindow: Sendable {
    private struct State {
        var size: TerminalSize
        var listener: (@Sendable (TerminalSize) -> Void)?
    }

    /// The client's `TERM` when it is a plausible terminfo name (`TerminalSize.term`).
    package let term: String?
    private let state: Mutex<State>

    package init(term: String?, size: TerminalSize = .standard) {
        self.term = TerminalSize.term(term)
        state = Mutex(State(size: size))
    }

    /// The current size.
    package var size: TerminalSize { state.withLock { $0.size } }

    /// The client's window changed: the listener, if any, hears of it when the size differs.
    package func resize(_ size: TerminalSize) {
        let listener: (@Sendable (TerminalSize) -> Void)? = state.withLock { state in
            guard state.size != size else { return nil }
            state.size = size
            return state.listener
        }
        listener?(size)
    }

    /// Who follows the size from now on (one listener; a new one replaces the old, nil stops).
    package func onResize(_ listener: (@Sendable (TerminalSize) -> Void)?) {
        state.withLock { $0.listener = listener }
    }
}
