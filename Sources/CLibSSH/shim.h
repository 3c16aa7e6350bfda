#ifndef CLIBSSH_SHIM_H
#define CLIBSSH_SHIM_H

#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libssh/callbacks.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

/// `ssh_callbacks_init` is a function-like macro, which Swift cannot import:
/// it sets the struct's `size` field so libssh can tell which fields exist.
static inline void CLibSSH_server_callbacks_init(struct ssh_server_callbacks_struct *cb) {
    ssh_callbacks_init(cb);
}

/// Same macro, for channel callbacks.
static inline void CLibSSH_channel_callbacks_init(struct ssh_channel_callbacks_struct *cb) {
    ssh_callbacks_init(cb);
}

/// `pipe2` is declared only under `_GNU_SOURCE`, which Swift's Glibc module does not set.
/// Pipes must be created close-on-exec atomically, or a process spawned by another
/// connection at the same moment inherits them and the pump never sees EOF.
extern int pipe2(int pipefd[2], int flags);
static inline int CLibSSH_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

/// `F_SETPIPE_SZ` is Linux-specific (also behind `_GNU_SOURCE`): a larger pipe means
/// fewer wake-ups per megabyte pumped.
static inline int CLibSSH_set_pipe_size(int fd, int size) {
    return fcntl(fd, 1031 /* F_SETPIPE_SZ */, size);
}

/// `fcntl` is variadic, which Swift does not import.
static inline int CLibSSH_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/// `accept4` is declared only under `_GNU_SOURCE` too; bound here under its own name so it
/// cannot clash with glibc's declaration. Accepted sockets must be close-on-exec atomically,
/// or a process spawned by another connection at that moment inherits the client's socket.
extern int CLibSSH_accept4(int fd, void *address, void *length, int flags) __asm__("accept4");
static inline int CLibSSH_accept_cloexec(int fd) {
    return CLibSSH_accept4(fd, 0, 0, SOCK_CLOEXEC);
}

/// Marks an inherited descriptor close-on-exec (accepted sockets: libssh's `accept`
/// does not ask for it).
static inline int CLibSSH_set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

#endif
