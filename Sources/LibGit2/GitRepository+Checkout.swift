internal import CLibGit2

extension GitRepository {
    /// Adds an object directory to look in, e.g. receive-pack's quarantine
    /// (`GIT_QUARANTINE_PATH`) where a pre-receive hook finds the pushed objects.
    /// - Throws: `GitError` from `git_odb_add_disk_alternate`.
    package func addObjectDirectory(_ path: String) throws(GitError) {
        var odb: OpaquePointer?
        try GitError.check(git_repository_odb(&odb, handle), "git_repository_odb")
        defer { git_odb_free(odb) }
        try GitError.check(git_odb_add_disk_alternate(odb, path), "git_odb_add_disk_alternate")
    }

    /// The first line of a commit's message, or nil when the commit cannot be read.
    package func commitSummary(_ id: String) -> String? {
        guard let commit = try? lookupCommit(id) else { return nil }
        defer { git_commit_free(commit) }
        guard let summary = git_commit_summary(commit) else { return nil }
        return String(cString: summary)
    }

    /// Writes the tree of commit `id` into `directory` (which may exist and must be empty):
    /// files with their exec bits, symlinks as symlinks, no `.git`, no index written to the
    /// repository. Submodules are left out.
    /// - Throws: `GitError` when the commit is missing or a file cannot be written.
    package func checkout(commit id: String, into directory: String) throws(GitError) {
        let commit = try lookupCommit(id)
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try GitError.check(git_commit_tree(&tree, commit), "git_commit_tree")
        defer { git_tree_free(tree) }
        var options = git_checkout_options()
        try GitError.check(
            git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "git_checkout_options_init")
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue
        let result = directory.withCString { path in
            options.target_directory = path
            return git_checkout_tree(handle, tree, &options)
        }
        try GitError.check(result, "git_checkout_tree")
    }

    /// Looks a commit up by its hex id; the caller frees it.
    private func lookupCommit(_ id: String) throws(GitError) -> OpaquePointer {
        var oid = git_oid()
        try GitError.check(git_oid_fromstr(&oid, id), "git_oid_fromstr")
        var commit: OpaquePointer?
        try GitError.check(git_commit_lookup(&commit, handle, &oid), "git_commit_lookup")
        return commit!
    }
}
