internal import CLibGit2

/// Initialises libgit2 once per process, with strict hash verification off: objects were
/// verified by index-pack when they were received.
private let libgit2Ready: Void = {
    git_libgit2_init()
    _ = CLibGit2_set_strict_hash_verification(0)
}()

/// An open git repository; the one owner of its `git_repository*`.
package final class GitRepository {
    let handle: OpaquePointer

    private init(takingOwnership handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        git_repository_free(handle)
    }

    /// Creates an empty bare repository at `path` (`APP.git`), with `HEAD` on `main`.
    /// - Throws: `GitError` from `git_repository_init_ext`.
    package static func createBare(at path: String) throws(GitError) -> GitRepository {
        _ = libgit2Ready
        var options = git_repository_init_options()
        try GitError.check(
            git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
            "git_repository_init_options_init")
        options.flags = GIT_REPOSITORY_INIT_BARE.rawValue | GIT_REPOSITORY_INIT_MKPATH.rawValue
            | GIT_REPOSITORY_INIT_NO_REINIT.rawValue
        var handle: OpaquePointer?
        let result = "main".withCString { head in
            options.initial_head = head
            return git_repository_init_ext(&handle, path, &options)
        }
        try GitError.check(result, "git_repository_init_ext")
        return GitRepository(takingOwnership: handle!)
    }

    /// Opens the bare repository at `path`.
    /// - Throws: `GitError` from `git_repository_open_bare`.
    package static func openBare(at path: String) throws(GitError) -> GitRepository {
        _ = libgit2Ready
        var handle: OpaquePointer?
        try GitError.check(git_repository_open_bare(&handle, path), "git_repository_open_bare")
        return GitRepository(takingOwnership: handle!)
    }

    /// Whether the repository is bare.
    package var isBare: Bool { git_repository_is_bare(handle) == 1 }

    /// The commit id a reference points to (`refs/heads/main`), or nil when it does not exist.
    package func commitID(of reference: String) -> String? {
        var oid = git_oid()
        guard git_reference_name_to_id(&oid, handle, reference) == 0 else {
            git_error_clear()
            return nil
        }
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&buffer, buffer.count, &oid)
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
