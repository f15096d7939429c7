#ifndef BATON_CLINUX_SHIM_H
#define BATON_CLINUX_SHIM_H
#define _GNU_SOURCE 1
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
#endif
