import Foundation
import Yams

/// What a buildpack's `bin/release` printed (YAML): `default_process_types` fill the types
/// the Procfile lacks; `config_vars` (deprecated) become `.profile.d` defaults; `addons`
/// are reported and ignored.
package struct BuildpackRelease: Sendable, Hashable {
    package var defaultProcessTypes: [String: String] = [:]
    package var configVars: [String: String] = [:]
    package var addons: [String] = []

    package init() {}

    /// Parses `bin/release` output; empty output or `---` is an empty release.
    /// - Throws: a message naming the YAML problem.
    package init(yaml text: String) throws(BuildpackReleaseError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed != "---" else { return }
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch {
            throw BuildpackReleaseError(message: "bin/release printed invalid YAML: \(error)")
        }
        guard let root = node else { return }
        guard let map = root as? [String: Any] else {
            throw BuildpackReleaseError(message: "bin/release printed YAML that is not a map.")
        }
        defaultProcessTypes = Self.strings(map["default_process_types"])
        configVars = Self.strings(map["config_vars"])
        if let list = map["addons"] as? [Any] { addons = list.map { "\($0)" } }
    }

    private static func strings(_ value: Any?) -> [String: String] {
        guard let map = value as? [String: Any] else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in map {
            if value is NSNull { continue }
            result[key] = "\(value)"
        }
        return result
    }
}

/// A `bin/release` output that could not be read.
package struct BuildpackReleaseError: Error, Sendable, Hashable {
    package var message: String
}
