/// Validation of config var keys, and the release descriptions Heroku writes for changes.
package enum ConfigKey {
    /// Checks a config var key: non-empty, no `=`, no whitespace or control characters
    /// (a key becomes an environment variable name and a file name in ENV_DIR).
    /// - Throws: `OpenrukoError.invalid` naming the key.
    package static func validate(_ key: String) throws(OpenrukoError) {
        if key.isEmpty {
            throw OpenrukoError(.invalid, "Config var keys cannot be empty. Use KEY=value.", resource: "config_var")
        }
        if key.contains("=") {
            throw OpenrukoError(.invalid, "Config var key \(key.debugDescription) cannot contain '='.", resource: "config_var")
        }
        if key.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            throw OpenrukoError(
                .invalid, "Config var key \(key.debugDescription) cannot contain spaces, newlines or control characters.",
                resource: "config_var")
        }
        if key.utf8.count > 255 || key == "." || key == ".." || key.contains("/") {
            throw OpenrukoError(.invalid, "Config var key \(key.debugDescription) is not allowed.", resource: "config_var")
        }
    }

    /// `Set FOO, BAR config vars` — Heroku's description of a config release.
    package static func setDescription(_ keys: [String]) -> String {
        "Set \(keys.joined(separator: ", ")) config vars"
    }

    /// `Remove FOO config vars`.
    package static func removeDescription(_ keys: [String]) -> String {
        "Remove \(keys.joined(separator: ", ")) config vars"
    }
}
