/// A `HOST:PORT` listen address (`0.0.0.0:2222`, `127.0.0.1:0`, `[::1]:5000`).
package struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; port 0 means any free port.
    /// - Throws: `OpenrukoError.invalid` describing the expected form.
    package init(parsing text: String, option: String) throws(OpenrukoError) {
        let invalid = OpenrukoError(.invalid, "\(option) must be HOST:PORT (e.g. 0.0.0.0:2222), not \(text.debugDescription).")
        guard let colon = text.lastIndex(of: ":") else { throw invalid }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { throw invalid }
        self.init(host: host, port: port)
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
