import Foundation
import OpenrukoCore
import Yams

/// A parsed `heroku.yml` (Heroku's container manifest): `build.docker` (process type →
/// Dockerfile path), `build.config` (build args), `release` (`command`, `image`) and `run`
/// (type → command, or `{command, image}`). `setup` and unknown keys are ignored. Commands
/// given as lists become one shell-quoted line (they run through `/bin/sh -c`).
struct HerokuManifest: Sendable, Hashable {
    /// A command and the `build.docker` type whose image runs it (nil: the default image).
    struct Command: Sendable, Hashable {
        var command: String
        var image: String?
    }

    var dockerfiles: [String: String] = [:]
    var buildConfig: [String: String] = [:]
    var release: Command?
    var run: [String: Command] = [:]

    /// The most bytes, nested brackets and nodes (aliases expanded) a manifest may have.
    static let limits = (bytes: 64 * 1024, depth: 64, nodes: 10_000)

    /// Refuses a manifest that is too big, too deep, or whose aliases expand past the node
    /// budget (a "billion laughs" bomb), before anything is built from it: the parser shares
    /// an alias's nodes, and the walk stops as soon as the budget is spent.
    static func checkLimits(_ text: String) throws(HerokuManifestError) {
        guard text.utf8.count <= limits.bytes else {
            throw HerokuManifestError("heroku.yml is \(text.utf8.count) bytes; the limit is \(limits.bytes / 1024) kB.")
        }
        var depth = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") { depth += 1 }
            if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") { depth -= 1 }
            guard depth <= limits.depth else {
                throw HerokuManifestError("heroku.yml nests brackets more than \(limits.depth) deep.")
            }
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw HerokuManifestError("heroku.yml is not valid YAML: \(error)")
        }
        var budget = limits.nodes
        func fits(_ node: Node) -> Bool {
            budget -= 1
            guard budget >= 0 else { return false }
            switch node {
            case .mapping(let mapping): return mapping.allSatisfy { fits($0.key) && fits($0.value) }
            case .sequence(let sequence): return sequence.allSatisfy(fits)
            case .scalar, .alias: return true
            }
        }
        guard root.map(fits) ?? true else {
            throw HerokuManifestError(
                "heroku.yml expands to more than \(limits.nodes) values (through its aliases); write it out without "
                    + "anchors and aliases.")
        }
    }

    /// An empty manifest (a root `Dockerfile` alone).
    init() {}

    /// Parses the text of `heroku.yml`.
    /// - Throws: `HerokuManifestError` naming what is wrong.
    init(yaml text: String) throws(HerokuManifestError) {
        try Self.checkLimits(text)
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch {
            throw HerokuManifestError("heroku.yml is not valid YAML: \(error)")
        }
        guard let root = node as? [String: Any] else { throw HerokuManifestError("heroku.yml must be a map (build:, run:, release:).") }
        if let build = root["build"] {
            guard let build = build as? [String: Any] else { throw HerokuManifestError("heroku.yml: build must be a map.") }
            if let docker = build["docker"] {
                guard let docker = docker as? [String: Any] else {
                    throw HerokuManifestError("heroku.yml: build.docker must map process types to Dockerfile paths.")
                }
                for (type, path) in docker {
                    try Self.checkType(type, in: "build.docker")
                    guard let path = Self.scalar(path), !path.isEmpty else {
                        throw HerokuManifestError("heroku.yml: build.docker.\(type) must be a Dockerfile path.")
                    }
                    dockerfiles[type] = try Self.relativePath(path, in: "build.docker.\(type)")
                }
            }
            if let config = build["config"] {
                guard let config = config as? [String: Any] else { throw HerokuManifestError("heroku.yml: build.config must be a map.") }
                for (key, value) in config {
                    guard let value = Self.scalar(value) else {
                        throw HerokuManifestError("heroku.yml: build.config.\(key) must be a string.")
                    }
                    buildConfig[key] = value
                }
            }
        }
        if let release = root["release"] {
            guard let map = release as? [String: Any], let command = try Self.command(map["command"], in: "release.command") else {
                throw HerokuManifestError("heroku.yml: release needs a command (a string or a list).")
            }
            self.release = Command(command: command, image: try Self.image(map["image"], in: "release.image"))
        }
        if let run = root["run"] {
            guard let run = run as? [String: Any] else { throw HerokuManifestError("heroku.yml: run must map process types to commands.") }
            for (type, value) in run {
                try Self.checkType(type, in: "run")
                if let map = value as? [String: Any] {
                    guard let command = try Self.command(map["command"], in: "run.\(type).command") else {
                        throw HerokuManifestError("heroku.yml: run.\(type) needs a command.")
                    }
                    self.run[type] = Command(command: command, image: try Self.image(map["image"], in: "run.\(type).image"))
                } else if let command = try Self.command(value, in: "run.\(type)") {
                    self.run[type] = Command(command: command, image: nil)
                } else {
                    throw HerokuManifestError("heroku.yml: run.\(type) must be a command.")
                }
            }
        }
        for (name, image) in [("release.image", release?.image)] + run.map({ ("run.\($0.key).image", $0.value.image) }) {
            if let image, dockerfiles[image] == nil {
                throw HerokuManifestError("heroku.yml: \(name) names \(image), which build.docker does not build.")
            }
        }
    }

    static func checkType(_ type: String, in section: String) throws(HerokuManifestError) {
        guard ProcessType.isValid(type), type != "run" else {
            throw HerokuManifestError("heroku.yml: \(type.debugDescription) in \(section) is not a valid process type.")
        }
        if type == ProcessType.release.rawValue, section == "run" {
            throw HerokuManifestError("heroku.yml: the release command goes under release.command, not run.release.")
        }
    }

    static func scalar(_ value: Any?) -> String? {
        switch value {
        case let text as String: text
        case let number as Int: String(number)
        case let number as Double: String(number)
        case let flag as Bool: flag ? "true" : "false"
        default: nil
        }
    }

    static func command(_ value: Any?, in section: String) throws(HerokuManifestError) -> String? {
        if let text = scalar(value) { return text.isEmpty ? nil : text }
        guard let list = value as? [Any] else { return nil }
        var words: [String] = []
        for item in list {
            guard let word = scalar(item) else { throw HerokuManifestError("heroku.yml: \(section) must list strings.") }
            words.append(word)
        }
        guard !words.isEmpty else { return nil }
        // A one-item list is Heroku's usual shape (`- ./release.sh`): keep it a shell line.
        return words.count == 1 ? words[0] : words.map(ShellWord.minimal).joined(separator: " ")
    }

    static func image(_ value: Any?, in section: String) throws(HerokuManifestError) -> String? {
        guard let value else { return nil }
        guard let text = scalar(value), ProcessType.isValid(text) else {
            throw HerokuManifestError("heroku.yml: \(section) must name a build.docker type.")
        }
        return text
    }

    /// A path inside the repository (no `..`, not absolute).
    static func relativePath(_ path: String, in section: String) throws(HerokuManifestError) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        guard !path.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else {
            throw HerokuManifestError("heroku.yml: \(section) (\(path)) must be a path inside the repository.")
        }
        return parts.joined(separator: "/")
    }
}

/// A `heroku.yml` openruko cannot use.
struct HerokuManifestError: Error, Sendable, Hashable {
    var message: String
    init(_ message: String) { self.message = message }
}
