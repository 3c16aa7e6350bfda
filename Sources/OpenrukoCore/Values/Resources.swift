import Foundation

/// Where openruko's own files are (`hooks/`, `buildpacks/`, `etc/`): `OPENRUKO_ROOT` if set,
/// else the first directory above the running executable that has both `hooks/` and
/// `buildpacks/` (a checkout running `.build/*/openruko`).
package struct Resources: Sendable, Hashable {
    /// The project root.
    package let root: String

    package init(root: String) {
        self.root = root
    }

    /// Finds the project root.
    /// - Throws: `OpenrukoError.internal` saying how to point at it.
    package static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError) -> Resources {
        if let root = environment["OPENRUKO_ROOT"], !root.isEmpty { return Resources(root: root) }
        var url = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = Resources(root: url.path)
            if isDirectory(candidate.hooks) && isDirectory(candidate.buildpacks) { return candidate }
        }
        throw OpenrukoError(
            .internal, "Cannot find openruko's hooks/ and buildpacks/ above \(executablePath); set OPENRUKO_ROOT to the checkout.")
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// The running executable (`/proc/self/exe`).
    package static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// `ROOT/hooks`, given to git as `core.hooksPath` just in time.
    package var hooks: String { root + "/hooks" }
    /// `ROOT/buildpacks`, the bundled buildpacks in detection order.
    package var buildpacks: String { root + "/buildpacks" }
    /// `ROOT/etc`.
    package var etc: String { root + "/etc" }
}
