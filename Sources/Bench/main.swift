import Builder
import Foundation
import LibGit2

// openruko-bench: the measured operations of scripts/bench/*, one per run.
//   openruko-bench slug DIR OUT.tgz      pack DIR as a slug (prints size in bytes)
//   openruko-bench checkout REPO REV DIR check REV of the bare REPO out into DIR (libgit2)
//   openruko-bench sandbox-start N DIR   start medians: bare bwrap, sandbox, dyno (see SandboxStart.swift)
let arguments = CommandLine.arguments.dropFirst()
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("openruko-bench: \(message)\n".utf8))
    exit(2)
}
switch arguments.first {
case "slug" where arguments.count == 3:
    let args = Array(arguments)
    do {
        let result = try SlugPacker.pack(args[1], to: args[2])
        print(result.size)
    } catch {
        fail(error.message)
    }
case "checkout" where arguments.count == 4:
    let args = Array(arguments)
    do {
        let repository = try GitRepository.openBare(at: args[1])
        let id = repository.commitID(of: args[2]) ?? args[2]
        try repository.checkout(commit: id, into: args[3])
    } catch {
        fail("\(error)")
    }
case "sandbox-start" where arguments.count == 3:
    let args = Array(arguments)
    do {
        try await SandboxStartBench.run(iterations: Int(args[1]) ?? 20, state: args[2])
    } catch {
        fail("\(error)")
    }
default:
    fail("usage: openruko-bench slug DIR OUT.tgz | checkout REPO REV DIR | sandbox-start N DIR")
}
