#ifndef CLIBGIT2_SHIM_H
#define CLIBGIT2_SHIM_H

#include <git2.h>

/// `git_libgit2_opts` is variadic, which Swift cannot import. Strict hash
/// verification re-hashes every object read (about 2x slower checkouts);
/// objects were already verified by index-pack when they were received.
static inline int CLibGit2_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}

#endif
