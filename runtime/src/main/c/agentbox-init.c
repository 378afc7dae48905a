/*
 * agentbox-init: PID 1 of every agentbox sandbox and its data plane.
 *
 * It serves framed, multiplexed requests on stdin and answers on stdout. Both are one end of a unix
 * socketpair held by the sandbox's shim on the host (agentbox-shim.c): a socket cannot be opened again
 * through /proc/1/fd, so no process in the sandbox can write to or read from the channel. See
 * runtime/DESIGN.md.
 *
 * The agent also keeps the commands it starts away from itself: it runs as a uid of its own (not root)
 * with the capabilities it needs, is not dumpable, and starts commands without CAP_KILL and
 * CAP_SYS_PTRACE, so that no command, even as root, can signal, trace or read it.
 *
 * Frame: u32 len (big endian, counts type+id+payload) | u8 type | u32 request id | payload.
 * Statically linked so that it runs in any image, even one without a libc.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VERSION "agentbox-init/2"

enum {
    T_HELLO = 1, T_EXEC = 2, T_MAIN = 3, T_SIGNAL = 4, T_QUIESCE = 5, T_RESUME = 6, T_CREDIT = 7, T_OOM = 8,
    T_WRITE = 10, T_READ = 11, T_LIST = 12, T_STAT = 13, T_DELETE = 14, T_MKDIR = 15,
    T_CONNECT = 16, T_DATA = 17, T_SHUTDOWN = 18,
    RS_HELLO = 100, RS_OUT = 101, RS_ERR = 102, RS_EXIT = 103, RS_OK = 104, RS_FAIL = 105, RS_EVENT = 106, RS_DATA = 107,
    RS_CREDIT = 108,
};

/* The uid the agent runs as: not root, so a command running as root cannot signal it (it has no CAP_KILL). */
#define AGENT_UID 2147483646u
#define MAX_FRAME (80u * 1024 * 1024)     /* from the host (trusted): file writes up to 64 MiB */
#define CHUNK 65536                       /* output frames; the shim refuses frames over 1 MiB */
#define DATA_CHUNK (256 * 1024)           /* file read and list answers */
#define WINDOW (256 * 1024)               /* output a request may send before the host grants more */
#define MAX_PROCS 1024
#define PIPE_GRACE_MS 250
/* Every process a request starts carries the supplementary group TAG_BASE + (id & TAG_MASK); a process
 * without CAP_SETGID cannot drop it, so it finds the request's processes even after setsid(). */
#define TAG_BASE 0x7e000000u
#define TAG_MASK 0x00ffffffu

/* ---------- output ---------- */

static void die(const char *what) {
    fprintf(stderr, "agentbox-init: %s: %s\n", what, strerror(errno));
    _exit(111);
}

/* Waits until fd is ready; stdio may be non-blocking (the shim's end of the socketpair decides). */
static void wait_fd(int fd, short events) {
    struct pollfd p = {.fd = fd, .events = events};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {}
}

static void write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { wait_fd(fd, POLLOUT); continue; }
            die("write to host");
        }
        p += w;
        n -= (size_t)w;
    }
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

/* Sends one frame whose payload is given as up to two pieces. */
static void send_frame2(uint8_t type, uint32_t id, const void *a, size_t na, const void *b, size_t nb) {
    unsigned char hdr[9];
    put32(hdr, (uint32_t)(5 + na + nb));
    hdr[4] = type;
    put32(hdr + 5, id);
    if (na + nb <= 8192) {
        unsigned char buf[9 + 8192];
        memcpy(buf, hdr, 9);
        if (na) memcpy(buf + 9, a, na);
        if (nb) memcpy(buf + 9 + na, b, nb);
        write_all(1, buf, 9 + na + nb);
        return;
    }
    write_all(1, hdr, 9);
    if (na) write_all(1, a, na);
    if (nb) write_all(1, b, nb);
}

static void send_frame(uint8_t type, uint32_t id, const void *p, size_t n) { send_frame2(type, id, p, n, NULL, 0); }

/* growable buffer for building replies */
typedef struct { unsigned char *p; size_t n, cap; } buf_t;

static void b_need(buf_t *b, size_t more) {
    if (b->n + more <= b->cap) return;
    size_t c = b->cap ? b->cap * 2 : 256;
    while (c < b->n + more) c *= 2;
    b->p = realloc(b->p, c);
    if (!b->p) die("realloc");
    b->cap = c;
}
static void b_u8(buf_t *b, uint8_t v) { b_need(b, 1); b->p[b->n++] = v; }
static void b_u32(buf_t *b, uint32_t v) { b_need(b, 4); put32(b->p + b->n, v); b->n += 4; }
static void b_u64(buf_t *b, uint64_t v) { b_u32(b, (uint32_t)(v >> 32)); b_u32(b, (uint32_t)v); }
static void b_bytes(buf_t *b, const void *p, size_t n) { b_u32(b, (uint32_t)n); b_need(b, n); memcpy(b->p + b->n, p, n); b->n += n; }
static void b_str(buf_t *b, const char *s) { b_bytes(b, s, strlen(s)); }

static void send_fail(uint32_t id, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void send_fail(uint32_t id, int err, const char *fmt, ...) {
    char msg[PATH_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    buf_t b = {0};
    b_u32(&b, (uint32_t)err);
    b_str(&b, msg);
    send_frame(RS_FAIL, id, b.p, b.n);
    free(b.p);
}

static void send_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void send_event(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    buf_t b = {0};
    b_str(&b, msg);
    send_frame(RS_EVENT, 0, b.p, b.n);
    free(b.p);
}

/* ---------- input parsing ---------- */

typedef struct { const unsigned char *p; size_t n; int bad; } rd_t;

static uint32_t r_u32(rd_t *r) {
    if (r->n < 4) { r->bad = 1; return 0; }
    uint32_t v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) | ((uint32_t)r->p[2] << 8) | r->p[3];
    r->p += 4; r->n -= 4;
    return v;
}
static uint8_t r_u8(rd_t *r) {
    if (r->n < 1) { r->bad = 1; return 0; }
    uint8_t v = r->p[0];
    r->p++; r->n--;
    return v;
}
static uint64_t r_u64(rd_t *r) { uint64_t hi = r_u32(r); return (hi << 32) | r_u32(r); }
static const unsigned char *r_bytes(rd_t *r, uint32_t *len) {
    uint32_t n = r_u32(r);
    if (r->bad || r->n < n) { r->bad = 1; *len = 0; return (const unsigned char *)""; }
    const unsigned char *p = r->p;
    r->p += n; r->n -= n;
    *len = n;
    return p;
}
/* strings are copied so that they are NUL terminated */
static char *r_str(rd_t *r) {
    uint32_t n;
    const unsigned char *p = r_bytes(r, &n);
    char *s = malloc(n + 1);
    if (!s) die("malloc");
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}
static char **r_strlist(rd_t *r) {
    uint32_t n = r_u32(r);
    if (r->bad || n > 1u << 20) { r->bad = 1; n = 0; }
    char **v = calloc(n + 1, sizeof *v);
    if (!v) die("calloc");
    for (uint32_t i = 0; i < n && !r->bad; i++) v[i] = r_str(r);
    return v;
}
static void free_strlist(char **v) {
    if (!v) return;
    for (char **p = v; *p; p++) free(*p);
    free(v);
}

static int read_full(int fd, void *buf, size_t n) {
    char *p = buf;
    while (n > 0) {
        ssize_t got = read(fd, p, n);
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { wait_fd(fd, POLLIN); continue; }
            return -1;
        }
        if (got == 0) return 0;
        p += got;
        n -= (size_t)got;
    }
    return 1;
}

static uint32_t get32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* ---------- processes ---------- */

typedef struct stream_s stream_t;
#define MAX_STREAMS 256
#define CONNECT_TIMEOUT_MS 5000
struct stream_s {
    int used;
    uint32_t id;
    int fd;
    int connecting;
    int64_t connect_deadline_ms;
    int64_t window;              /* bytes the host still accepts */
    unsigned char *out;          /* bytes from the host, not yet written to the socket */
    size_t out_len, out_off, out_cap;
    int shut_pending;
};

static stream_t streams[MAX_STREAMS];

static stream_t *find_stream(uint32_t id) {
    for (int i = 0; i < MAX_STREAMS; i++)
        if (streams[i].used && streams[i].id == id) return &streams[i];
    return NULL;
}

static void stream_flush(stream_t *st);


typedef struct {
    int used;
    uint32_t id;
    int is_main;
    pid_t pid;
    int out, err, in;            /* parent ends, -1 when closed */
    unsigned char *stdin_buf;
    size_t stdin_len, stdin_off;
    int exited, status;
    int timed_out;               /* timeout or cancel: the process tree was killed */
    int oom_killed;
    int64_t deadline_ms;         /* 0: none */
    int64_t exited_at_ms;
    int64_t window;              /* bytes of output the host still accepts */
} proc_t;

static proc_t procs[MAX_PROCS];
static int sigpipe_fds[2];
static long page_size = 4096;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_sigchld(int sig) {
    (void)sig;
    int e = errno;
    char c = 0;
    (void)!write(sigpipe_fds[1], &c, 1);
    errno = e;
}

static uint32_t tag_of(uint32_t id) { return TAG_BASE + (id & TAG_MASK); }

/* Child side of vfork: only async-signal-safe calls, no heap. */
static void child_fail(const char *what, const char *arg, int err) {
    const char *m = strerror(err);
    (void)!write(2, "agentbox: ", 10);
    (void)!write(2, what, strlen(what));
    if (arg) { (void)!write(2, " ", 1); (void)!write(2, arg, strlen(arg)); }
    (void)!write(2, ": ", 2);
    (void)!write(2, m, strlen(m));
    (void)!write(2, "\n", 1);
}

static void child_exec(char **argv, char **envp) {
    const char *file = argv[0];
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        child_fail("cannot execute", file, errno);
        _exit(errno == ENOENT ? 127 : 126);
    }
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char **e = envp; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) { path = *e + 5; break; }
    char buf[PATH_MAX];
    int saw_eacces = 0;
    size_t fl = strlen(file);
    for (const char *p = path;; ) {
        const char *end = strchr(p, ':');
        size_t dl = end ? (size_t)(end - p) : strlen(p);
        if (dl == 0) { buf[0] = '.'; dl = 1; } else if (dl < sizeof buf) memcpy(buf, p, dl);
        if (dl + 1 + fl + 1 <= sizeof buf) {
            buf[dl] = '/';
            memcpy(buf + dl + 1, file, fl + 1);
            execve(buf, argv, envp);
            if (errno == EACCES) saw_eacces = 1;
        }
        if (!end) break;
        p = end + 1;
    }
    child_fail("command not found", file, saw_eacces ? EACCES : ENOENT);
    _exit(saw_eacces ? 126 : 127);
}

/* The agent's bounding set, read once at start (it never changes): a child drops only what is in it. Under gVisor's
 * ptrace platform each syscall of a child costs ~10-20 us, and dropping all 64 numbers (most not in the set, or past
 * the kernel's last capability) was ~50 of them per exec. */
static uint64_t agent_bounding;
static int agent_bounding_known; /* 0: could not be read, children drop every number as before (fail closed) */

static void read_bounding(void) {
    for (int c = 0; c <= 63; c++) {
        int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
        if (r < 0) break; /* EINVAL: past the last capability this kernel knows */
        if (r == 1) agent_bounding |= 1ull << c;
        if (c == 0) agent_bounding_known = 1;
    }
}

/* Before setuid: the bounding set becomes `caps` (needs CAP_SETPCAP, which the agent has). */
static int child_bounding(uint64_t caps) {
    uint64_t drop = (agent_bounding_known ? agent_bounding : ~0ull) & ~caps;
    for (int c = 0; c <= 63; c++) {
        if (!(drop & (1ull << c))) continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL) return -1;
    }
    return 0;
}

/* After setuid to root: exactly `caps` (setuid to any other uid has already cleared them all). */
static int child_caps(uint64_t caps) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    d[0].effective = d[0].permitted = (uint32_t)caps;
    d[1].effective = d[1].permitted = (uint32_t)(caps >> 32);
    return (int)syscall(SYS_capset, &h, d);
}

static proc_t *find_proc_by_id(uint32_t id) {
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i].used && procs[i].id == id) return &procs[i];
    return NULL;
}

/* The device nodes and links a container expects in /dev, made in an init container's /dev (a tmpfs of its own). */
static int prepare_dev(const char *root) {
    static const struct { const char *name; unsigned major, minor; } nodes[] = {
        {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
    static const struct { const char *name, *target; } links[] = {
        {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        snprintf(path, sizeof path, "%s/dev/%s", root, nodes[i].name);
        if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) && errno != EEXIST) return -1;
        if (chmod(path, 0666) && errno != EPERM) return -1;
    }
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(path, sizeof path, "%s/dev/%s", root, links[i].name);
        if (symlink(links[i].target, path) && errno != EEXIST) return -1;
    }
    return 0;
}

static void spawn(uint32_t id, rd_t *r, int is_main) {
    char **argv = r_strlist(r);
    char **envp = r_strlist(r);
    char *cwd = r_str(r);
    uint32_t uid = r_u32(r), gid = r_u32(r);
    uint64_t caps = r_u64(r);
    uint32_t timeout_ms = 0;
    uint8_t has_stdin = 0;
    uint32_t stdin_len = 0;
    const unsigned char *stdin_data = NULL;
    if (!is_main) {
        timeout_ms = r_u32(r);
        has_stdin = r_u8(r);
        stdin_data = r_bytes(r, &stdin_len);
    }
    /* optional: the root directory of an init container (its own root filesystem, see SandboxConfig.InitContainer) */
    char *root = r->n > 0 ? r_str(r) : strdup("");
    if (!root) die("strdup");
    proc_t *slot = NULL;
    if (r->bad || !argv[0]) {
        send_fail(id, EINVAL, "malformed exec request");
        goto out;
    }
    if (root[0] && (strncmp(root, "/.agentbox/c/", 13) || strstr(root, "..") || strchr(root + 13, '/'))) {
        send_fail(id, EINVAL, "root must be /.agentbox/c/NAME");
        goto out;
    }
    if (root[0] && prepare_dev(root)) {
        send_fail(id, errno, "cannot prepare %s/dev: %s", root, strerror(errno));
        goto out;
    }
    for (int i = 0; i < MAX_PROCS; i++)
        if (!procs[i].used) { slot = &procs[i]; break; }
    if (!slot) {
        send_fail(id, EAGAIN, "too many concurrent commands in this sandbox (max %d)", MAX_PROCS);
        goto out;
    }
    int po[2], pe[2], pi[2] = {-1, -1};
    if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
        send_fail(id, errno, "pipe: %s", strerror(errno));
        goto out;
    }
    if (has_stdin) {
        if (pipe2(pi, O_CLOEXEC)) { send_fail(id, errno, "pipe: %s", strerror(errno)); close(po[0]); close(po[1]); close(pe[0]); close(pe[1]); goto out; }
    } else {
        pi[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    gid_t groups[2] = {gid, tag_of(id)};
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t pid = vfork();
    if (pid == 0) {
        /* only SIGPIPE is ignored by the agent; caught signals reset to default on exec anyway */
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigaction(SIGPIPE, &dfl, NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        setsid(); /* its own session and process group: the request's tree is findable by session id */
        if (pi[0] >= 0) dup2(pi[0], 0); else close(0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        if (setgroups(2, groups)) { child_fail("setgroups", NULL, errno); _exit(126); }
        if (setresgid(gid, gid, gid)) { child_fail("setgid", NULL, errno); _exit(126); }
        if (root[0] && (chroot(root) || chdir("/"))) { child_fail("cannot enter the container's root", root, errno); _exit(126); }
        if (child_bounding(caps)) { child_fail("capabilities", NULL, errno); _exit(126); }
        if (setresuid(uid, uid, uid)) { child_fail("setuid", NULL, errno); _exit(126); }
        if (uid == 0 && child_caps(caps)) { child_fail("capabilities", NULL, errno); _exit(126); }
        if (cwd[0] && chdir(cwd)) { child_fail("cannot change directory to", cwd, errno); _exit(126); }
        child_exec(argv, envp);
        _exit(127);
    }
    int err = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(po[1]);
    close(pe[1]);
    if (pi[0] >= 0) close(pi[0]);
    if (pid < 0) {
        close(po[0]); close(pe[0]);
        if (pi[1] >= 0) close(pi[1]);
        send_fail(id, err, "fork: %s", strerror(err));
        goto out;
    }
    memset(slot, 0, sizeof *slot);
    slot->used = 1;
    slot->id = id;
    slot->is_main = is_main;
    slot->pid = pid;
    slot->out = po[0];
    slot->err = pe[0];
    slot->in = pi[1];
    slot->window = WINDOW;
    if (slot->in >= 0) {
        fcntl(slot->in, F_SETFL, O_NONBLOCK);
        if (stdin_len) {
            slot->stdin_buf = malloc(stdin_len);
            if (!slot->stdin_buf) die("malloc");
            memcpy(slot->stdin_buf, stdin_data, stdin_len);
            slot->stdin_len = stdin_len;
        } else {
            close(slot->in);
            slot->in = -1;
        }
    }
    slot->deadline_ms = timeout_ms ? now_ms() + timeout_ms : 0;
out:
    free_strlist(argv);
    free_strlist(envp);
    free(cwd);
    free(root);
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* ---------- finding and killing process trees ---------- */

/* Fields of /proc/PID/stat after the command name: state, ppid, pgrp, session. */
static int proc_stat(const char *pid, char *state, long *session) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *rp = strrchr(buf, ')');
    if (!rp) return -1;
    long ppid, pgrp;
    if (sscanf(rp + 2, "%c %ld %ld %ld", state, &ppid, &pgrp, session) != 4) return -1;
    return 0;
}

/* The request tag among the process's supplementary groups (0: none), and its resident size. */
static uint32_t proc_tag(const char *pid, long long *rss) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    uint32_t tag = 0;
    char *g = strstr(buf, "\nGroups:");
    if (g) {
        char *p = g + 8;
        char *end = strchr(p, '\n');
        while (p && (!end || p < end)) {
            char *next;
            unsigned long v = strtoul(p, &next, 10);
            if (next == p) break;
            if (v >= TAG_BASE && v <= TAG_BASE + TAG_MASK) tag = (uint32_t)v;
            p = next;
        }
    }
    if (rss) {
        *rss = 0;
        char *v = strstr(buf, "\nVmRSS:");
        if (v) *rss = atoll(v + 7) * 1024;
    }
    return tag;
}

/* Kills every process of a request: its session, and every process carrying its tag (which also finds
 * those that left the session). Repeats until a pass finds none, so a fork bomb cannot outrun it.
 * With dry_run, only counts them. */
static int find_tree(pid_t leader, uint32_t tag, int dry_run) {
    if (leader > 1 && !dry_run) kill(-leader, SIGKILL);
    int total = 0;
    for (int round = 0; round < (dry_run ? 1 : 64); round++) {
        DIR *d = opendir("/proc");
        if (!d) break;
        int found = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
            long pid = atol(de->d_name);
            if (pid <= 1) continue;
            char state;
            long session;
            if (proc_stat(de->d_name, &state, &session)) continue;
            if (state == 'Z' || state == 'X') continue;
            if ((leader > 1 && session == leader) || (tag && proc_tag(de->d_name, NULL) == tag)) {
                if (!dry_run) kill((pid_t)pid, SIGKILL);
                found++;
            }
        }
        closedir(d);
        total += found;
        if (!found) break;
    }
    return total;
}

static int kill_tree(pid_t leader, uint32_t tag) { return find_tree(leader, tag, 0); }

/* The session is used only while its leader is not reaped (after that its pid may be reused). */
static void cancel_proc(proc_t *p) {
    p->timed_out = 1;
    kill_tree(p->exited ? 0 : p->pid, tag_of(p->id));
}

/* A command's timeout bounds every process it started, also those it left running in the background
 * (a fork bomb's orphans included): such groups linger here until their command's deadline. */
#define MAX_LINGER 1024
typedef struct { uint32_t tag; pid_t leader; int64_t deadline_ms; } linger_t;
static linger_t lingering[MAX_LINGER];
static int n_lingering;

static void linger(proc_t *p) {
    if (p->is_main || !p->deadline_ms || p->timed_out) return;
    if (find_tree(0, tag_of(p->id), 1) == 0) return;
    if (n_lingering == MAX_LINGER) { /* full: end the one due first */
        int first = 0;
        for (int i = 1; i < n_lingering; i++) if (lingering[i].deadline_ms < lingering[first].deadline_ms) first = i;
        kill_tree(lingering[first].leader, lingering[first].tag);
        lingering[first] = lingering[--n_lingering];
    }
    lingering[n_lingering++] = (linger_t){tag_of(p->id), 0, p->deadline_ms};
}

/* Out of memory (the shim saw the sandbox over its limit): kill the request whose processes hold the
 * most memory, as a cgroup-aware OOM killer would. */
#define MAX_TAGS 512
/* Bytes held by disk volumes (AGENTBOX_DISK_VOLUMES: one path per line): tmpfs inside the sandbox, so in its
 * memory, but Kubernetes counts an emptyDir on disk against ephemeral storage, not the memory limit. */
static long long disk_volume_bytes(void) {
    const char *list = getenv("AGENTBOX_DISK_VOLUMES");
    if (!list) return 0;
    long long sum = 0;
    char path[PATH_MAX];
    while (*list) {
        const char *nl = strchr(list, '\n');
        size_t len = nl ? (size_t)(nl - list) : strlen(list);
        if (len < sizeof path) {
            memcpy(path, list, len);
            path[len] = 0;
            struct statfs st;
            if (!statfs(path, &st)) sum += (long long)(st.f_blocks - st.f_bfree) * (long long)st.f_bsize;
        }
        list += len;
        if (*list) list++;
    }
    return sum;
}

static void oom_kill(rd_t *r) {
    long long used = (long long)r_u64(r), limit = (long long)r_u64(r);
    if (!r->bad) {
        long long disk = disk_volume_bytes();
        if (disk > 0 && used - disk <= limit) {
            send_event("oom-not-killed disk-volumes=%lld used=%lld limit=%lld", disk, used, limit);
            return;
        }
    }
    uint32_t tags[MAX_TAGS];
    long long sums[MAX_TAGS];
    int n = 0;
    DIR *d = opendir("/proc");
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9' || atol(de->d_name) <= 1) continue;
        long long rss = 0;
        uint32_t tag = proc_tag(de->d_name, &rss);
        if (!tag) continue;
        int i = 0;
        while (i < n && tags[i] != tag) i++;
        if (i == n) {
            if (n == MAX_TAGS) continue;
            tags[n] = tag;
            sums[n++] = 0;
        }
        sums[i] += rss;
    }
    closedir(d);
    int best = -1;
    for (int i = 0; i < n; i++) if (best < 0 || sums[i] > sums[best]) best = i;
    if (best < 0 || sums[best] < (16ll << 20)) {
        /* the memory is not in processes (files in a memory-backed volume): killing would not free it */
        send_event("oom-not-killed largest-group-rss=%lld", best < 0 ? 0 : sums[best]);
        return;
    }
    uint32_t tag = tags[best];
    proc_t *owner = NULL;
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i].used && tag_of(procs[i].id) == tag) owner = &procs[i];
    if (owner) { owner->oom_killed = 1; owner->timed_out = 1; }
    int killed = kill_tree(owner && !owner->exited ? owner->pid : 0, tag);
    send_event("oom-killed request=%u processes=%d rss=%lld", owner ? owner->id : (tag - TAG_BASE), killed, sums[best]);
}

static void maybe_finish(proc_t *p) {
    if (!p->exited || p->out >= 0 || p->err >= 0) return;
    close_fd(&p->in);
    free(p->stdin_buf);
    int code, sig = 0;
    if (WIFEXITED(p->status)) code = WEXITSTATUS(p->status);
    else { sig = WTERMSIG(p->status); code = 128 + sig; }
    unsigned char b[7];
    put32(b, (uint32_t)code);
    b[4] = (uint8_t)sig;
    b[5] = (uint8_t)(p->timed_out && !p->oom_killed);
    b[6] = (uint8_t)p->oom_killed;
    send_frame(RS_EXIT, p->id, b, 7);
    linger(p);
    memset(p, 0, sizeof *p);
}

static void reap(void) {
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) break;
        for (int i = 0; i < MAX_PROCS; i++) {
            if (procs[i].used && procs[i].pid == pid && !procs[i].exited) {
                procs[i].exited = 1;
                procs[i].status = st;
                procs[i].exited_at_ms = now_ms();
                break;
            }
        }
    }
}

static void pump(proc_t *p, int *fd, uint8_t type) {
    unsigned char buf[CHUNK];
    size_t want = p->window < (int64_t)sizeof buf ? (size_t)p->window : sizeof buf;
    if (want == 0) return;
    ssize_t n = read(*fd, buf, want);
    if (n > 0) {
        p->window -= n;
        send_frame(type, p->id, buf, (size_t)n);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) close_fd(fd);
}

static void feed(proc_t *p) {
    while (p->stdin_off < p->stdin_len) {
        ssize_t w = write(p->in, p->stdin_buf + p->stdin_off, p->stdin_len - p->stdin_off);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            break; /* EPIPE: the child does not read its input */
        }
        p->stdin_off += (size_t)w;
    }
    close_fd(&p->in);
}

static void grant(uint32_t id, uint32_t bytes) {
    stream_t *st = find_stream(id);
    if (st) {
        st->window += bytes;
        if (st->window > 16 * WINDOW) st->window = 16 * WINDOW;
        return;
    }
    proc_t *p = find_proc_by_id(id);
    if (!p) return;
    if (p->window <= 0 && p->exited) p->exited_at_ms = now_ms(); /* it was paused: the pipes' grace starts again */
    p->window += bytes;
    if (p->window > 16 * WINDOW) p->window = 16 * WINDOW;
}

/* ---------- streams: TCP connections inside the sandbox (port-forward, proxy, httpGet/tcpSocket probes) ----------
 * CONNECT port → OK once connected to 127.0.0.1:port inside the sandbox's own network stack (or FAIL errno).
 * Then bytes both ways with flow control: socket → host as OUT frames within the stream's window (the host grants
 * CREDIT as it reads), host → socket as DATA frames, each acknowledged with a CREDIT frame once written to the
 * socket (the host keeps at most WINDOW bytes unacknowledged). SHUTDOWN half-closes (after what is queued); EXIT
 * ends the stream (the peer closed, or SIGNAL 9 from the host closed it). */
static void stream_end(stream_t *st, int notify) {
    if (st->fd >= 0) close(st->fd);
    free(st->out);
    if (notify) {
        unsigned char b[7] = {0};
        send_frame(RS_EXIT, st->id, b, 7);
    }
    memset(st, 0, sizeof *st);
    st->fd = -1;
}

static void stream_connect(uint32_t id, rd_t *r) {
    uint32_t port = r_u32(r);
    if (r->bad || port == 0 || port > 65535) { send_fail(id, EINVAL, "malformed connect request"); return; }
    stream_t *st = NULL;
    for (int i = 0; i < MAX_STREAMS; i++) if (!streams[i].used) { st = &streams[i]; break; }
    if (!st) { send_fail(id, EAGAIN, "too many connections into this sandbox (max %d)", MAX_STREAMS); return; }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { send_fail(id, errno, "socket: %s", strerror(errno)); return; }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    if (rc < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        send_fail(id, e, "connect to port %u inside the sandbox: %s", port, strerror(e));
        return;
    }
    memset(st, 0, sizeof *st);
    st->used = 1;
    st->id = id;
    st->fd = fd;
    st->window = WINDOW;
    st->connecting = rc < 0;
    st->connect_deadline_ms = now_ms() + CONNECT_TIMEOUT_MS;
    if (!st->connecting) send_frame(RS_OK, id, NULL, 0);
}

static void stream_connected(stream_t *st) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
        send_fail(st->id, err ? err : errno, "connect inside the sandbox: %s", strerror(err ? err : errno));
        stream_end(st, 0);
        return;
    }
    st->connecting = 0;
    send_frame(RS_OK, st->id, NULL, 0);
}

static void stream_data(uint32_t id, const unsigned char *p, size_t n) {
    stream_t *st = find_stream(id);
    if (!st) return; /* closed meanwhile: the host will hear EXIT */
    if (st->out_off > 0 && st->out_off == st->out_len) st->out_off = st->out_len = 0;
    if (st->out_len + n > st->out_cap) {
        size_t c = st->out_cap ? st->out_cap : 65536;
        while (c < st->out_len + n) c *= 2;
        st->out = realloc(st->out, c);
        if (!st->out) die("realloc");
        st->out_cap = c;
    }
    memcpy(st->out + st->out_len, p, n);
    st->out_len += n;
    if (!st->connecting) stream_flush(st);
}

/* Writes what the socket takes and tells the host how much went (its credit for more). */
static void stream_flush(stream_t *st) {
    size_t wrote = 0;
    while (st->out_off < st->out_len) {
        ssize_t w = send(st->fd, st->out + st->out_off, st->out_len - st->out_off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            stream_end(st, 1);
            return;
        }
        st->out_off += (size_t)w;
        wrote += (size_t)w;
    }
    if (wrote) {
        unsigned char b[4];
        put32(b, (uint32_t)wrote);
        send_frame(RS_CREDIT, st->id, b, 4);
    }
    if (st->out_off == st->out_len && st->shut_pending) {
        shutdown(st->fd, SHUT_WR);
        st->shut_pending = 0;
    }
}

static void stream_read(stream_t *st) {
    unsigned char buf[CHUNK];
    size_t want = st->window < (int64_t)sizeof buf ? (size_t)st->window : sizeof buf;
    if (want == 0) return;
    ssize_t n = recv(st->fd, buf, want, 0);
    if (n > 0) {
        st->window -= n;
        send_frame(RS_OUT, st->id, buf, (size_t)n);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stream_end(st, 1); /* the server inside closed (or failed): the stream is over */
    }
}

/* ---------- files ---------- */

static const char *forbidden[] = {"/proc", "/sys", "/dev", "/.agentbox", NULL};

static int is_forbidden(const char *real) {
    for (const char **f = forbidden; *f; f++) {
        size_t l = strlen(*f);
        if (strncmp(real, *f, l) == 0 && (real[l] == 0 || real[l] == '/')) return 1;
    }
    return 0;
}

/* Checks where a path really lands (after symlinks) for the longest existing prefix. */
static int check_path(uint32_t id, const char *path) {
    if (path[0] != '/') { send_fail(id, EINVAL, "%s: path must be absolute", path); return -1; }
    char tmp[PATH_MAX], real[PATH_MAX];
    if (strlen(path) >= sizeof tmp) { send_fail(id, ENAMETOOLONG, "%s: path too long", path); return -1; }
    strcpy(tmp, path);
    for (;;) {
        if (realpath(tmp, real)) {
            if (is_forbidden(real)) { send_fail(id, EPERM, "%s: path not allowed (resolves to %s)", path, real); return -1; }
            return 0;
        }
        char *slash = strrchr(tmp, '/');
        if (!slash || slash == tmp) return 0;
        *slash = 0;
    }
}

static int mkdirs(const char *path, uid_t uid, gid_t gid) {
    char tmp[PATH_MAX];
    if (strlen(path) >= sizeof tmp) { errno = ENAMETOOLONG; return -1; }
    strcpy(tmp, path);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(tmp, 0755) == 0) { if (lchown(tmp, uid, gid)) {} }
            else if (errno != EEXIST) return -1;
            else {
                struct stat st;
                if (stat(tmp, &st) == 0 && !S_ISDIR(st.st_mode)) { errno = ENOTDIR; return -1; }
            }
            *p = c;
            if (c == 0) break;
        }
    }
    return 0;
}

static void put_entry(buf_t *b, const char *name, const struct stat *st) {
    b_str(b, name);
    uint8_t t = S_ISREG(st->st_mode) ? 0 : S_ISDIR(st->st_mode) ? 1 : S_ISLNK(st->st_mode) ? 2 : 3;
    b_u8(b, t);
    b_u64(b, (uint64_t)st->st_size);
    b_u32(b, st->st_mode & 07777);
    b_u64(b, (uint64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)st; (void)f;
    return (flag == FTW_DP ? rmdir(p) : unlink(p)) ? -1 : 0;
}

static void file_op(uint8_t type, uint32_t id, rd_t *r) {
    char *path = r_str(r);
    buf_t b = {0};
    if (r->bad) { send_fail(id, EINVAL, "malformed request"); goto out; }
    if (check_path(id, path)) goto out;
    struct stat st;
    switch (type) {
    case T_WRITE: {
        uint32_t mode = r_u32(r), uid = r_u32(r), gid = r_u32(r), n;
        const unsigned char *data = r_bytes(r, &n);
        if (r->bad) { send_fail(id, EINVAL, "malformed request"); goto out; }
        char parent[PATH_MAX];
        strcpy(parent, path);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) { *slash = 0; if (mkdirs(parent, uid, gid)) { send_fail(id, errno, "%s: %s", parent, strerror(errno)); goto out; } }
        /* O_NONBLOCK: a FIFO (made by code in the sandbox) must not block the agent, which serves everything on
         * one thread; only regular files are written */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode & 07777);
        if (fd < 0) { send_fail(id, errno, "%s: %s", path, strerror(errno)); goto out; }
        if (fstat(fd, &st) || !S_ISREG(st.st_mode)) { close(fd); send_fail(id, EINVAL, "%s: not a regular file", path); goto out; }
        if (fchown(fd, uid, gid)) {}
        fchmod(fd, mode & 07777);
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(fd, data + off, n - off);
            if (w < 0) { if (errno == EINTR) continue; int e = errno; close(fd); send_fail(id, e, "%s: %s", path, strerror(e)); goto out; }
            off += (size_t)w;
        }
        if (close(fd)) { send_fail(id, errno, "%s: %s", path, strerror(errno)); goto out; }
        send_frame(RS_OK, id, NULL, 0);
        break;
    }
    case T_READ: {
        /* answered as DATA chunks and a final OK, so that no frame to the host is large */
        uint64_t max = r_u64(r);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block the agent (see T_WRITE) */
        if (fd < 0) { send_fail(id, errno, "%s: %s", path, strerror(errno)); goto out; }
        if (fstat(fd, &st) || !S_ISREG(st.st_mode)) { close(fd); send_fail(id, EISDIR, "%s: not a regular file", path); goto out; }
        if ((uint64_t)st.st_size > max) { close(fd); send_fail(id, EFBIG, "%s: file is %lld bytes, over the read limit of %llu bytes", path, (long long)st.st_size, (unsigned long long)max); goto out; }
        unsigned char *chunk = malloc(DATA_CHUNK);
        if (!chunk) die("malloc");
        uint64_t total = 0;
        for (;;) {
            ssize_t got = read(fd, chunk, DATA_CHUNK);
            if (got < 0) { if (errno == EINTR) continue; int e = errno; close(fd); free(chunk); send_fail(id, e, "%s: %s", path, strerror(e)); goto out; }
            if (got == 0) break;
            total += (uint64_t)got;
            if (total > max) { close(fd); free(chunk); send_fail(id, EFBIG, "%s: file is over the read limit of %llu bytes", path, (unsigned long long)max); goto out; }
            send_frame(RS_DATA, id, chunk, (size_t)got);
        }
        close(fd);
        free(chunk);
        send_frame(RS_OK, id, NULL, 0);
        break;
    }
    case T_STAT:
        if (lstat(path, &st)) { send_fail(id, errno, "%s: %s", path, strerror(errno)); goto out; }
        put_entry(&b, path, &st);
        send_frame(RS_OK, id, b.p, b.n);
        break;
    case T_LIST: {
        /* DATA chunks of entries (each: u32 count, entries), then OK */
        DIR *d = opendir(path);
        if (!d) { send_fail(id, errno, "%s: %s", path, strerror(errno)); goto out; }
        buf_t entries = {0};
        uint32_t count = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)) continue;
            put_entry(&entries, de->d_name, &st);
            count++;
            if (entries.n > DATA_CHUNK - 512) {
                unsigned char c[4];
                put32(c, count);
                send_frame2(RS_DATA, id, c, 4, entries.p, entries.n);
                entries.n = 0;
                count = 0;
            }
        }
        closedir(d);
        if (count) {
            unsigned char c[4];
            put32(c, count);
            send_frame2(RS_DATA, id, c, 4, entries.p, entries.n);
        }
        free(entries.p);
        send_frame(RS_OK, id, NULL, 0);
        break;
    }
    case T_DELETE: {
        uint8_t recursive = r_u8(r);
        if (lstat(path, &st)) { send_fail(id, errno, "%s: %s", path, strerror(errno)); goto out; }
        if (!strcmp(path, "/")) { send_fail(id, EPERM, "/: refusing to delete the root directory"); goto out; }
        int rc;
        if (S_ISDIR(st.st_mode)) rc = recursive ? nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS) : rmdir(path);
        else rc = unlink(path);
        if (rc) { send_fail(id, errno, "%s: %s", path, strerror(errno)); goto out; }
        send_frame(RS_OK, id, NULL, 0);
        break;
    }
    case T_MKDIR: {
        uint8_t parents = r_u8(r);
        uint32_t uid = r_u32(r), gid = r_u32(r);
        int rc;
        if (parents) rc = mkdirs(path, uid, gid);
        else if ((rc = mkdir(path, 0755)) == 0) { if (lchown(path, uid, gid)) {} }
        if (rc) { send_fail(id, errno, "%s: %s", path, strerror(errno)); goto out; }
        send_frame(RS_OK, id, NULL, 0);
        break;
    }
    }
out:
    free(b.p);
    free(path);
}

/* ---------- checkpoint support ----------
 * QUIESCE: answer OK, then block on stdin until RESUME arrives. The host sends nothing else in between
 * and checkpoints meanwhile, so both streams are at a frame boundary in the image: the source (left
 * running) and every restored copy each get a RESUME on their own (new) channel and go on serving.
 * RESUME says whether this is a restored copy: its channel is new, so output windows start afresh and
 * the requests that were in flight at checkpoint time (nobody awaits them here) are cancelled. */
static void resume(uint32_t id, rd_t *r) {
    uint8_t restored = r->n >= 1 ? r_u8(r) : 0;
    if (restored) {
        for (int i = 0; i < MAX_STREAMS; i++) if (streams[i].used) stream_end(&streams[i], 0);
        for (int i = 0; i < MAX_PROCS; i++) {
            proc_t *p = &procs[i];
            if (!p->used) continue;
            p->window = WINDOW;
            if (!p->is_main) cancel_proc(p);
        }
    }
    send_frame(RS_OK, id, NULL, 0);
}

static void quiesce(uint32_t id) {
    send_frame(RS_OK, id, NULL, 0);
    for (;;) {
        unsigned char hdr[9];
        int rc = read_full(0, hdr, 9);
        if (rc <= 0) { kill(-1, SIGKILL); _exit(0); }
        uint32_t len = get32(hdr), rid = get32(hdr + 5);
        if (len < 5 || len > MAX_FRAME) { kill(-1, SIGKILL); _exit(0); }
        size_t n = len - 5;
        unsigned char *payload = malloc(n + 1);
        if (!payload || (n && read_full(0, payload, n) <= 0)) { kill(-1, SIGKILL); _exit(0); }
        rd_t r = {payload, n, 0};
        if (hdr[4] == T_RESUME) { resume(rid, &r); free(payload); return; }
        if (hdr[4] == T_CREDIT) {
            uint32_t target = r_u32(&r), bytes = r_u32(&r);
            if (!r.bad) grant(target, bytes);
        } else if (hdr[4] != T_OOM && hdr[4] != T_SIGNAL) {
            send_fail(rid, EAGAIN, "the sandbox is being checkpointed");
        }
        free(payload);
    }
}

/* Workload trigger: `/.agentbox/init snapshot` (any user inside the sandbox) connects to this abstract
 * unix socket; PID 1 forwards the request to the host as an EVENT frame (request id 0). Clients are served
 * inside the poll loop (a client that connects and says nothing cannot stall the agent), at most a few at
 * once, and forwarded requests are rate-limited here too (agentboxd applies the real limit per sandbox). */
#define CONTROL_SOCKET "agentbox-init.control"
#define MAX_CONTROL_CLIENTS 4
static int control_fd = -1;
typedef struct { int fd; int64_t deadline_ms; char line[256]; size_t n; } control_t;
static control_t controls[MAX_CONTROL_CLIENTS] = {{-1}, {-1}, {-1}, {-1}};
static double control_tokens = 5;
static int64_t control_refill_ms;

static void control_listen(void) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path + 1, CONTROL_SOCKET, strlen(CONTROL_SOCKET));
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(CONTROL_SOCKET));
    if (bind(fd, (struct sockaddr *)&a, alen) || listen(fd, 16)) { close(fd); return; }
    control_fd = fd;
}

static void control_accept(void) {
    int c = accept4(control_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) return;
    for (int i = 0; i < MAX_CONTROL_CLIENTS; i++) {
        if (controls[i].fd < 0) {
            controls[i] = (control_t){.fd = c, .deadline_ms = now_ms() + 1000};
            return;
        }
    }
    (void)!write(c, "error: busy, try again\n", 23);
    close(c);
}

static void control_done(control_t *c, const char *answer) {
    (void)!write(c->fd, answer, strlen(answer));
    close(c->fd);
    c->fd = -1;
}

static void control_read(control_t *c) {
    ssize_t n = read(c->fd, c->line + c->n, sizeof c->line - 1 - c->n);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) { close(c->fd); c->fd = -1; return; }
    c->n += (size_t)n;
    c->line[c->n] = 0;
    char *nl = strchr(c->line, '\n');
    if (!nl && c->n < sizeof c->line - 1) return;
    if (nl) *nl = 0;
    if (strncmp(c->line, "snapshot", 8) != 0) { control_done(c, "error: unknown request\n"); return; }
    int64_t now = now_ms();
    control_tokens += (double)(now - control_refill_ms) / 10000.0; /* one more every 10 s, at most 5 */
    if (control_tokens > 5) control_tokens = 5;
    control_refill_ms = now;
    if (control_tokens < 1) { control_done(c, "error: too many snapshot requests; try again later\n"); return; }
    control_tokens -= 1;
    send_event("%s", c->line);
    control_done(c, "ok: snapshot requested\n");
}

/* The client side, run as `/.agentbox/init snapshot [note]` by any process in the sandbox. */
static int control_client(int argc, char **argv) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path + 1, CONTROL_SOCKET, strlen(CONTROL_SOCKET));
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(CONTROL_SOCKET));
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, alen)) {
        fprintf(stderr, "agentbox-init: cannot reach the sandbox's init process: %s\n", strerror(errno));
        return 1;
    }
    char req[200];
    snprintf(req, sizeof req, "snapshot%s%s\n", argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
    write_all(fd, req, strlen(req));
    char ans[256];
    ssize_t n = read(fd, ans, sizeof ans - 1);
    if (n <= 0) { fprintf(stderr, "agentbox-init: no answer\n"); return 1; }
    ans[n] = 0;
    fputs(ans, stdout);
    return strncmp(ans, "ok", 2) == 0 ? 0 : 1;
}

/* ---------- requests ---------- */

static void handle(uint8_t type, uint32_t id, unsigned char *payload, size_t n) {
    rd_t r = {payload, n, 0};
    switch (type) {
    case T_HELLO: {
        buf_t b = {0};
        b_str(&b, VERSION);
        send_frame(RS_HELLO, id, b.p, b.n);
        free(b.p);
        break;
    }
    case T_QUIESCE: quiesce(id); break;
    case T_RESUME: resume(id, &r); break; /* resuming when not quiesced: harmless */
    case T_EXEC: spawn(id, &r, 0); break;
    case T_MAIN: spawn(id, &r, 1); break;
    case T_CONNECT: stream_connect(id, &r); break;
    case T_DATA: stream_data(id, payload, n); break;
    case T_SHUTDOWN: {
        stream_t *st = find_stream(id);
        if (st) { st->shut_pending = 1; if (!st->connecting) stream_flush(st); }
        break;
    }
    case T_SIGNAL: {
        uint32_t target = r_u32(&r), sig = r_u32(&r);
        stream_t *st = find_stream(target);
        if (st && !r.bad) { stream_end(st, 1); break; }
        proc_t *p = find_proc_by_id(target);
        if (!p || p->exited || r.bad) break;
        if (sig == SIGKILL) cancel_proc(p); /* cancel: the whole tree, also what left the process group */
        else kill(-p->pid, (int)sig);
        break;
    }
    case T_CREDIT: {
        uint32_t target = r_u32(&r), bytes = r_u32(&r);
        if (!r.bad) grant(target, bytes);
        break;
    }
    case T_OOM: oom_kill(&r); break;
    case T_WRITE: case T_READ: case T_LIST: case T_STAT: case T_DELETE: case T_MKDIR:
        file_op(type, id, &r);
        break;
    default:
        send_fail(id, ENOSYS, "unknown request type %u", type);
    }
}

/* Returns 0 on EOF of the host. */
static int read_request(void) {
    unsigned char hdr[9];
    int rc = read_full(0, hdr, 9);
    if (rc <= 0) return 0;
    uint32_t len = get32(hdr), id = get32(hdr + 5);
    if (len < 5 || len > MAX_FRAME) { fprintf(stderr, "agentbox-init: bad frame length %u\n", len); return 0; }
    size_t n = len - 5;
    unsigned char *payload = malloc(n + 1);
    if (!payload) { fprintf(stderr, "agentbox-init: cannot allocate %zu bytes\n", n); return 0; }
    if (read_full(0, payload, n) <= 0) { free(payload); return 0; }
    handle(hdr[4], id, payload, n);
    free(payload);
    return 1;
}

/* Runs the agent as AGENT_UID with its capabilities kept, not dumpable: commands (even as root, without
 * CAP_KILL and CAP_SYS_PTRACE) can neither signal nor trace it, nor read its memory. */
static void become_agent_user(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d)) die("capget");
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) die("keepcaps");
    if (setresgid(AGENT_UID, AGENT_UID, AGENT_UID)) die("setresgid");
    if (setgroups(0, NULL)) die("setgroups");
    if (setresuid(AGENT_UID, AGENT_UID, AGENT_UID)) die("setresuid");
    d[0].effective = d[0].permitted;
    d[1].effective = d[1].permitted;
    d[0].inheritable = d[1].inheritable = 0;
    if (syscall(SYS_capset, &h, d)) die("capset");
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) die("dumpable");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "snapshot") == 0) return control_client(argc, argv);
    if (getpid() != 1) {
        fprintf(stderr, "agentbox-init: must run as PID 1 of a sandbox\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK)) die("pipe");
    struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    umask(022);
    page_size = sysconf(_SC_PAGESIZE);
    control_listen();
    control_refill_ms = now_ms();
    read_bounding();
    become_agent_user();

    static struct pollfd pfds[3 + MAX_CONTROL_CLIENTS + 3 * MAX_PROCS + MAX_STREAMS];
    static proc_t *owner[3 + MAX_CONTROL_CLIENTS + 3 * MAX_PROCS + MAX_STREAMS];
    static int kind[3 + MAX_CONTROL_CLIENTS + 3 * MAX_PROCS + MAX_STREAMS];
    for (;;) {
        int n = 0;
        pfds[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
        pfds[n++] = (struct pollfd){.fd = sigpipe_fds[0], .events = POLLIN};
        pfds[n++] = (struct pollfd){.fd = control_fd, .events = POLLIN}; /* fd -1 is ignored by poll */
        int64_t now = now_ms(), wait = -1;
        for (int i = 0; i < MAX_CONTROL_CLIENTS; i++) {
            control_t *c = &controls[i];
            if (c->fd < 0) continue;
            if (now >= c->deadline_ms) { close(c->fd); c->fd = -1; continue; }
            if (wait < 0 || c->deadline_ms - now < wait) wait = c->deadline_ms - now;
            owner[n] = NULL; kind[n] = 10 + i;
            pfds[n++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
        }
        for (int i = 0; i < MAX_STREAMS; i++) {
            stream_t *st = &streams[i];
            if (!st->used) continue;
            if (st->connecting && now >= st->connect_deadline_ms) {
                send_fail(st->id, ETIMEDOUT, "connect inside the sandbox: no answer within %d ms", CONNECT_TIMEOUT_MS);
                stream_end(st, 0);
                continue;
            }
            if (st->connecting && (wait < 0 || st->connect_deadline_ms - now < wait)) wait = st->connect_deadline_ms - now;
            short ev = 0;
            if (st->connecting || st->out_off < st->out_len) ev |= POLLOUT;
            if (!st->connecting && st->window > 0) ev |= POLLIN;
            if (!ev) continue;
            owner[n] = NULL; kind[n] = 1000 + i;
            pfds[n++] = (struct pollfd){.fd = st->fd, .events = ev};
        }
        for (int i = 0; i < n_lingering; i++) {
            if (now >= lingering[i].deadline_ms) {
                kill_tree(lingering[i].leader, lingering[i].tag);
                lingering[i--] = lingering[--n_lingering];
            } else if (wait < 0 || lingering[i].deadline_ms - now < wait) wait = lingering[i].deadline_ms - now;
        }
        for (int i = 0; i < MAX_PROCS; i++) {
            proc_t *p = &procs[i];
            if (!p->used) continue;
            if (p->deadline_ms && !p->timed_out) {
                if (now >= p->deadline_ms) cancel_proc(p);
                else if (wait < 0 || p->deadline_ms - now < wait) wait = p->deadline_ms - now;
            }
            if (p->exited && (p->out >= 0 || p->err >= 0)) {
                /* a background child may still hold the pipes: give up on them after a grace period
                 * (paused while the host grants no window: the output is waiting for a slow reader) */
                int64_t left = p->exited_at_ms + PIPE_GRACE_MS - now;
                if (p->timed_out) { close_fd(&p->out); close_fd(&p->err); }
                else if (p->window > 0) {
                    if (left <= 0) { close_fd(&p->out); close_fd(&p->err); }
                    else if (wait < 0 || left < wait) wait = left;
                }
            }
            maybe_finish(p);
            if (!p->used) continue;
            short ev = p->window > 0 ? POLLIN : 0; /* no window: leave the output in the pipe, the writer blocks */
            if (p->out >= 0 && ev) { owner[n] = p; kind[n] = 1; pfds[n++] = (struct pollfd){.fd = p->out, .events = ev}; }
            if (p->err >= 0 && ev) { owner[n] = p; kind[n] = 2; pfds[n++] = (struct pollfd){.fd = p->err, .events = ev}; }
            if (p->in >= 0) { owner[n] = p; kind[n] = 3; pfds[n++] = (struct pollfd){.fd = p->in, .events = POLLOUT}; }
        }
        int rc = poll(pfds, (nfds_t)n, (int)wait);
        if (rc < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if (pfds[1].revents) {
            char drain[64];
            while (read(sigpipe_fds[0], drain, sizeof drain) > 0) {}
            reap();
        }
        if (pfds[2].revents) control_accept();
        for (int i = 3; i < n; i++) {
            if (!pfds[i].revents) continue;
            if (kind[i] >= 1000) {
                stream_t *st = &streams[kind[i] - 1000];
                if (!st->used || st->fd != pfds[i].fd) continue;
                if (st->connecting) {
                    if (pfds[i].revents & (POLLOUT | POLLERR | POLLHUP)) stream_connected(st);
                    continue;
                }
                if (pfds[i].revents & POLLOUT) stream_flush(st);
                if (st->used && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) stream_read(st);
                continue;
            }
            if (kind[i] >= 10) {
                control_t *c = &controls[kind[i] - 10];
                if (c->fd == pfds[i].fd) control_read(c);
                continue;
            }
            proc_t *p = owner[i];
            if (!p->used) continue;
            if (kind[i] == 1 && p->out == pfds[i].fd) pump(p, &p->out, RS_OUT);
            else if (kind[i] == 2 && p->err == pfds[i].fd) pump(p, &p->err, RS_ERR);
            else if (kind[i] == 3 && p->in == pfds[i].fd) {
                if (pfds[i].revents & (POLLERR | POLLHUP)) close_fd(&p->in);
                else feed(p);
            }
        }
        if (pfds[0].revents) {
            if (!read_request()) {
                /* the host went away: take everything down with us */
                kill(-1, SIGKILL);
                return 0;
            }
        }
    }
}
