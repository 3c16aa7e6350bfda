import ArgumentParser
import OpenrukoCore

/// `-a/--app APP`, accepted by every command that acts on an app, besides the positional form.
package struct AppOption: ParsableArguments {
    @Option(name: [.customShort("a"), .customLong("app")], help: "The app (or give it as the first argument).")
    var app: String?

    package init() {}

    /// The app from `-a` or from the first positional word, which is then removed.
    /// - Throws: `OpenrukoError.invalid` when neither is given or they disagree.
    func resolve(_ positional: inout [String]) throws(OpenrukoError) -> String {
        if let app {
            if let first = positional.first, first == app { positional.removeFirst() }
            return app
        }
        guard let first = positional.first, !first.contains("="), !first.hasPrefix("-") else {
            throw OpenrukoError(.invalid, "No app specified. Give it as the first argument or with -a APP.")
        }
        positional.removeFirst()
        return first
    }

    /// The app from `-a` or a single optional positional word.
    func resolve(_ positional: String?) throws(OpenrukoError) -> String {
        var words = positional.map { [$0] } ?? []
        let app = try resolve(&words)
        if let extra = words.first {
            throw OpenrukoError(.invalid, "Unexpected argument \(extra.debugDescription).")
        }
        return app
    }
}

/// `--json` on listing commands.
package struct JSONFlag: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    package init() {}
}
