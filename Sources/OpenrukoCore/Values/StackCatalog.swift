package import Foundation

/// The stacks apps build and run on: the legacy `host` (the host's own `/usr`, what
/// openruko ran before it built stacks) and every stack built under `DATA_DIR/stacks/NAME`
/// (a `build` and a `run` root filesystem and a `version` file written last).
///
/// ```swift
/// let root = try StackCatalog(layout: layout).root(of: app.stack, .run)  // nil: the host's /usr
/// ```
package struct StackCatalog: Sendable {
    /// The legacy stack: the host's `/usr` and a few `/etc` files, no image (apps created
    /// before stacks were built, and new apps until the default stack is built). It was
    /// called `heroku-22` before, which it never was (migration 0010 renamed it).
    package static let legacy = "host"
    /// The environment variable naming the stack of new apps (used once it is built).
    package static let defaultVariable = "OPENRUKO_DEFAULT_STACK"

    /// The two root filesystems of a stack.
    package enum Image: String, Sendable, CaseIterable {
        /// Builds run on it: the run image's packages plus compilers and `-dev` headers.
        case build
        /// Dynos and the release phase run on it.
        case run
    }

    let layout: DataLayout

    package init(layout: DataLayout) {
        self.layout = layout
    }

    /// Whether `name` may name a stack: 2 to 32 of `a-z`, `0-9`, `-`, starting with a letter.
    package static func isValidName(_ name: String) -> Bool {
        guard (2...32).contains(name.utf8.count), let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }

    /// The built stacks, by name.
    package func built() -> [StackVersion] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.stacks)) ?? []
        return names.filter(Self.isValidName).compactMap(version).sorted { $0.name < $1.name }
    }

    /// The built stack `name`, or nil when it is not (completely) built.
    package func version(_ name: String) -> StackVersion? {
        guard Self.isValidName(name), name != Self.legacy else { return nil }
        let directory = layout.stack(name)
        guard let data = FileManager.default.contents(atPath: directory + "/version"),
            let version = StackVersion(json: data), version.name == name,
            Image.allCases.allSatisfy({ FileManager.default.fileExists(atPath: directory + "/" + $0.rawValue + "/usr/bin") })
        else { return nil }
        return version
    }

    /// Whether apps may use `name`: the legacy stack or a built one.
    package func isAvailable(_ name: String) -> Bool { name == Self.legacy || version(name) != nil }

    /// The host directory of `image` of `stack`, nil for the legacy stack (the host's `/usr`).
    /// - Throws: `unavailable` when the stack is not built (any more).
    package func root(of stack: String, _ image: Image) throws(OpenrukoError) -> String? {
        guard stack != Self.legacy else { return nil }
        guard version(stack) != nil else {
            throw OpenrukoError(
                .unavailable,
                "The \(stack) stack is not built on this server; an admin builds it with `openruko admin stacks:build \(stack)`.",
                resource: "stack")
        }
        return layout.stack(stack) + "/" + image.rawValue
    }

    /// The stack of new apps: `OPENRUKO_DEFAULT_STACK` once it is built, else the legacy one.
    package func defaultStack(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard let wanted = environment[Self.defaultVariable], !wanted.isEmpty, isAvailable(wanted) else { return Self.legacy }
        return wanted
    }
}

/// What `DATA_DIR/stacks/NAME/version` records about a built stack.
package struct StackVersion: Sendable, Hashable, Codable {
    package var name: String
    /// The Debian release it is made of (`trixie`).
    package var release: String
    /// The build's time stamp (`20261206T230000Z`), new with every rebuild.
    package var version: String
    package var builtAt: Date
    /// The packages asked for, per image.
    package var runPackages: [String]
    package var buildPackages: [String]

    package init(name: String, release: String, version: String, builtAt: Date, runPackages: [String], buildPackages: [String]) {
        self.name = name
        self.release = release
        self.version = version
        self.builtAt = builtAt
        self.runPackages = runPackages
        self.buildPackages = buildPackages
    }

    /// The version file's text (JSON, ISO 8601 dates).
    package func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads a version file's text; nil when it is not one.
    package init?(json: Data) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let version = try? decoder.decode(StackVersion.self, from: json) else { return nil }
        self = version
    }
}
