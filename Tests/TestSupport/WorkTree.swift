import Foundation

/// Git work trees for push tests, made with the real `git`.
package enum WorkTree {
    /// Writes `files` (path → contents) into the work tree at `path`: a value starting with
    /// `+x ` is an executable, `->TARGET` makes a symlink, `@FILE` copies that host file.
    package static func write(_ files: [String: String], to path: String) throws {
        for (name, contents) in files {
            let file = path + "/" + name
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if contents.hasPrefix("->") {
                try? FileManager.default.removeItem(atPath: file)
                try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: String(contents.dropFirst(2)))
            } else if contents.hasPrefix("@") {
                try? FileManager.default.removeItem(atPath: file)
                try FileManager.default.copyItem(atPath: String(contents.dropFirst()), toPath: file)
            } else {
                let executable = contents.hasPrefix("+x ")
                try Data((executable ? String(contents.dropFirst(3)) : contents).utf8).write(to: URL(fileURLWithPath: file))
                chmod(file, executable ? 0o755 : 0o644)
            }
        }
    }

    /// A new work tree in `directory` with `files` (as `write` takes them) committed on `main`.
    package static func create(in directory: TemporaryDirectory, _ files: [String: String], name: String = "repo") async throws -> String {
        let path = directory.appending(name + "-" + UUID().uuidString.prefix(6).lowercased())
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try await git(["init", "-q", "-b", "main"], in: path)
        try write(files, to: path)
        try await commit(path, "first")
        return path
    }

    /// Commits everything in the work tree (an empty commit when nothing changed).
    package static func commit(_ path: String, _ message: String) async throws {
        try await git(["add", "-A"], in: path)
        try await git(["-c", "user.email=dev@example.com", "-c", "user.name=Dev", "commit", "-q", "--allow-empty", "-m", message], in: path)
    }

    /// Runs git in `path`, throwing when it fails.
    @discardableResult
    package static func git(_ arguments: [String], in path: String) async throws -> ProcessResult {
        let result = try await ProcessRunner.run("/usr/bin/git", arguments, directory: path)
        if result.status != 0 { throw TestFailure("git \(arguments) failed: \(result.stderr)") }
        return result
    }
}
