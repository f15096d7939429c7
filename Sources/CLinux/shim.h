#ifndef BATON_CLINUX_SHIM_H
#define BATON_CLINUX_SHIM_H
// No _GNU_SOURCE: it changes struct definitions (fd_set) and then clashes with SwiftGlibc when a
// file imports both modules. The one GNU function used, accept4, is declared below.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <pthread.h>

// glibc's allocator: how many arenas threads may spread over, and handing freed pages back.
#include <malloc.h>
static inline int baton_malloc_arena_max(int arenas) { return mallopt(M_ARENA_MAX, arenas); }
static inline int baton_malloc_trim(void) { return malloc_trim(0); }

// CPUs this process may run on (its affinity mask, as taskset or a container's cpuset leaves it),
// through the raw system call: cpu_set_t and CPU_COUNT need _GNU_SOURCE (see above). 0 on failure.
#include <sys/syscall.h>
static inline int baton_usable_cpus(void) {
    unsigned long long mask[64] = {0}; // 4096 CPUs
    long bytes = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
    if (bytes <= 0) return 0;
    int count = 0;
    for (long i = 0; i < bytes / (long)sizeof(mask[0]); i++) count += __builtin_popcountll(mask[i]);
    return count;
}

// Glibc's epoll_event is packed on x86_64, which Swift imports poorly; these keep field access in C.
static inline struct epoll_event baton_epoll_event(uint32_t events, uint64_t data) {
    struct epoll_event ev; ev.events = events; ev.data.u64 = data; return ev;
}
static inline uint32_t baton_epoll_event_events(const struct epoll_event *ev) { return ev->events; }
static inline uint64_t baton_epoll_event_data(const struct epoll_event *ev) { return ev->data.u64; }

// fcntl is variadic.
static inline int baton_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
static inline int baton_set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD, 0);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}
static inline int baton_errno(void) { return errno; }
// A pipe whose both ends are close-on-exec from the start: no window in which a child spawned by
// another thread could inherit them.
int pipe2(int pipefd[2], int flags);
static inline int baton_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
// Closes every descriptor from `from` up in a spawned child (glibc 2.34+), so it inherits only
// stdin, stdout and stderr even when the parent holds sockets opened without close-on-exec.
#include <spawn.h>
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
static inline int baton_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
// The child starts in `dir` (glibc 2.29+).
int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *dir);
static inline int baton_spawn_chdir(posix_spawn_file_actions_t *actions, const char *dir) {
    return posix_spawn_file_actions_addchdir_np(actions, dir);
}
// Flags are macros; keep them in C.
// POSIX_SPAWN_SETSID (glibc 2.26+) is a GNU name: its value is written out. A new session has no
// controlling terminal, so a sandboxed child cannot type into the operator's.
static inline short baton_spawn_flags(int new_group, int new_session) {
    return (short)(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        | (new_session ? 0x80 : (new_group ? POSIX_SPAWN_SETPGROUP : 0)));
}
// WIFEXITED/WEXITSTATUS/WTERMSIG are macros too: the exit code, or 128 + the signal that ended it.
#include <sys/wait.h>
static inline int baton_exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}
int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
// Thread names show in top/gdb; a GNU extension, declared by hand for the same reason as accept4.
int pthread_setname_np(pthread_t thread, const char *name);
int pthread_getname_np(pthread_t thread, char *name, size_t len);

// accept4 flags are an enum in Glibc's headers; keep them in C. The new socket is non-blocking and
// close-on-exec, and the peer address is written to *addr.
static inline int baton_accept(int fd, struct sockaddr_storage *addr, socklen_t *len) {
    *len = sizeof(*addr);
    return accept4(fd, (struct sockaddr *)addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
static inline int baton_stream_socket(int family) {
    return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

// Fills *out from a numeric IPv4 or IPv6 address. Returns 0, or -1 when host is not numeric.
static inline int baton_make_sockaddr(const char *host, int port, struct sockaddr_storage *out, socklen_t *len) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    __builtin_memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET; v4->sin_port = htons((uint16_t)port); *len = sizeof(*v4); return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6; v6->sin6_port = htons((uint16_t)port); *len = sizeof(*v6); return 0;
    }
    return -1;
}

// Writes the numeric address of *addr into buf and returns its port, or -1 for other families.
static inline int baton_format_sockaddr(const struct sockaddr_storage *addr, char *buf, socklen_t buflen) {
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
        if (!inet_ntop(AF_INET, &v4->sin_addr, buf, buflen)) return -1;
        return ntohs(v4->sin_port);
    }
    if (addr->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
        if (!inet_ntop(AF_INET6, &v6->sin6_addr, buf, buflen)) return -1;
        return ntohs(v6->sin6_port);
    }
    return -1;
}

static inline int baton_set_int_option(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof(value));
}
static inline int baton_set_tcp_nodelay(int fd) { return baton_set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1); }
static inline int baton_set_reuseaddr(int fd) { return baton_set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1); }

// send() that never raises SIGPIPE when the peer has gone.
static inline ssize_t baton_send(int fd, const void *buf, size_t len) {
    return send(fd, buf, len, MSG_NOSIGNAL);
}

static inline void baton_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

// epoll flag values as plain integers (the Glibc enum imports with awkward types).
static const uint32_t BATON_EPOLLIN = EPOLLIN;
static const uint32_t BATON_EPOLLOUT = EPOLLOUT;
static const uint32_t BATON_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t BATON_EPOLLHUP = EPOLLHUP;
static const uint32_t BATON_EPOLLERR = EPOLLERR;
static const uint32_t BATON_EPOLLET = EPOLLET;
static inline int baton_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
static inline int baton_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

// Landlock (Linux 5.13+): the syscalls and structures, declared here so the build does not depend
// on the kernel headers' version. Numbers 444-446 are the same on every architecture.
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
struct baton_landlock_ruleset_attr { uint64_t handled_access_fs; uint64_t handled_access_net; uint64_t scoped; };
struct baton_landlock_path_beneath_attr { uint64_t allowed_access; int32_t parent_fd; } __attribute__((packed));
struct baton_landlock_net_port_attr { uint64_t allowed_access; uint64_t port; };
// The kernel's Landlock ABI version, or -1 (errno ENOSYS/EOPNOTSUPP) when it has none.
static inline int baton_landlock_abi(void) { return (int)syscall(444, (void *)0, (size_t)0, (uint32_t)1); }
// A ruleset handling `fs` and `net` access and `scoped` IPC; the attribute's size follows the ABI.
static inline int baton_landlock_create(uint64_t fs, uint64_t net, uint64_t scoped, int abi) {
    struct baton_landlock_ruleset_attr attr = { fs, net, scoped };
    size_t size = abi >= 6 ? sizeof(attr) : (abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t));
    return (int)syscall(444, &attr, size, (uint32_t)0);
}
static inline int baton_landlock_allow_path(int ruleset, int parent_fd, uint64_t access) {
    struct baton_landlock_path_beneath_attr attr = { access, parent_fd };
    return (int)syscall(445, ruleset, 1 /* LANDLOCK_RULE_PATH_BENEATH */, &attr, (uint32_t)0);
}
static inline int baton_landlock_allow_port(int ruleset, uint64_t port, uint64_t access) {
    struct baton_landlock_net_port_attr attr = { access, port };
    return (int)syscall(445, ruleset, 2 /* LANDLOCK_RULE_NET_PORT */, &attr, (uint32_t)0);
}
// Both apply to the calling thread only, and to every process it starts from then on.
static inline int baton_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }
static inline int baton_landlock_restrict_self(int ruleset) { return (int)syscall(446, ruleset, (uint32_t)0); }
// O_PATH is a GNU name (see the note on _GNU_SOURCE above); its value is the same on every
// architecture Linux has.
#ifndef O_PATH
#define O_PATH 010000000
#endif
static inline int baton_open_path(const char *path) { return open(path, O_PATH | O_CLOEXEC); }
// Drops every capability of the calling thread (and so of what it starts): the bounding set first
// (while CAP_SETPCAP is still held), then the effective, permitted and inheritable sets. Raw
// syscalls, which act on this thread alone. Returns 0, or -1 with errno.
struct baton_cap_header { uint32_t version; int pid; };
struct baton_cap_data { uint32_t effective; uint32_t permitted; uint32_t inheritable; };
static inline int baton_drop_capabilities(void) {
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    }
    struct baton_cap_header header = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
    struct baton_cap_data data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    return (int)syscall(SYS_capset, &header, data);
}

// A copy of `fd` numbered `minimum` or above, close-on-exec: a descriptor handed to a child with
// posix_spawn_file_actions_adddup2 must not be the very number it is moved to.
static inline int baton_dup_cloexec_above(int fd, int minimum) { return fcntl(fd, F_DUPFD_CLOEXEC, minimum); }
// pidfd_open (Linux 5.3+; 434 on every architecture): a descriptor that polls readable when the
// process exits. -1 (ENOSYS) on older kernels.
static inline int baton_pidfd_open(pid_t pid) { return (int)syscall(434, pid, 0); }

#endif
