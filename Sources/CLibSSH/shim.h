#ifndef CLIBSSH_SHIM_H
#define CLIBSSH_SHIM_H

#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libssh/callbacks.h>

/// `ssh_callbacks_init` is a function-like macro, which Swift cannot import:
/// it sets the struct's `size` field so libssh can tell which fields exist.
static inline void CLibSSH_server_callbacks_init(struct ssh_server_callbacks_struct *cb) {
    ssh_callbacks_init(cb);
}

/// Same macro, for channel callbacks.
static inline void CLibSSH_channel_callbacks_init(struct ssh_channel_callbacks_struct *cb) {
    ssh_callbacks_init(cb);
}

#endif
