/*
 * agentbox-shim: the host-side keeper of one sandbox, in containerd's shim shape.
 *
 * agentboxd starts one shim per sandbox. The shim detaches (own session, re-parented to init), runs
 * `runsc run|restore` as its child with the agent's channel on a unix socketpair (a socket cannot be
 * re-opened through /proc/1/fd inside the sandbox, a pipe can), and serves agentboxd on a unix socket
 * in a 0700 directory. It outlives agentboxd: a restarted daemon connects again and finds the sandbox
 * with its processes, memory and files as they were. See runtime/DESIGN.md.
 *
 * What the shim does beyond relaying frames between agentboxd and the agent:
 *  - parses every frame from the agent as hostile (size limit, incremental allocation); a violation
 *    breaks the sandbox (reported to agentboxd) instead of the daemon;
 *  - writes the main process's output to a size-capped, rotated log, and grants the agent credit for
 *    it, whether or not a daemon is attached;
 *  - cancels (kills) the execs of a daemon connection that went away;
 *  - gives the sandbox's writable root overlay a size-limited tmpfs, mounted in the shim's private
 *    mount namespace (it disappears with the shim and runsc, so it cannot leak);
 *  - watches the sandbox's memory cgroup (threshold events, no polling on cgroup v1) and asks the agent
 *    to kill the biggest group of processes before the host OOM killer would kill the whole sandbox;
 *  - keeps runsc's stderr in a capped log.
 *
 * Frames are those of the agent protocol: u32 len (big endian, type+id+payload) | u8 type | u32 id | payload.
 * Types >= 200 are between agentboxd and the shim only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SHIM_PROTOCOL 1
#define SHIM_VERSION "agentbox-shim/1"

enum {
    /* agent protocol (relayed), only the types the shim looks at */
    T_EXEC = 2, T_MAIN = 3, T_SIGNAL = 4, T_QUIESCE = 5, T_RESUME = 6, T_CREDIT = 7, T_OOM = 8, T_CONNECT = 16,
    R_OUT = 101, R_ERR = 102, R_EXIT = 103, R_FAIL = 105, R_EVENT = 106,
    /* daemon <-> shim */
    S_HELLO = 200, S_HELLO_OK = 201, S_EXITED = 202, S_BROKEN = 206, S_OOM = 207,
};

#define MAX_FROM_AGENT (1u << 20)          /* hostile side: the agent never sends bigger frames */
#define MAX_FROM_DAEMON (80u << 20)        /* trusted side: file writes up to 64 MiB */
#define OUT_HIGH_WATER (8u << 20)          /* stop reading the source while a queue is fuller than this */
#define MAX_INFLIGHT 4096
#define RUNSC_LOG_MAX (1u << 20)

/* ---------- small helpers ---------- */

static FILE *diag;                          /* the shim's own log (shim.log next to the bundle) */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
    if (!diag) return;
    time_t t = time(NULL);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    fprintf(diag, "%s ", ts);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(diag, fmt, ap);
    va_end(ap);
    fputc('\n', diag);
    fflush(diag);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put32(unsigned char *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t get32(const unsigned char *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static void put64(unsigned char *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p + 4, (uint32_t)v); }

/* A byte queue (output buffer of a non-blocking fd). */
typedef struct { unsigned char *p; size_t off, n, cap; } queue_t;

static void q_push(queue_t *q, const void *data, size_t n) {
    if (q->off > 0 && q->off == q->n) q->off = q->n = 0;
    if (q->n + n > q->cap) {
        if (q->off > 0) { memmove(q->p, q->p + q->off, q->n - q->off); q->n -= q->off; q->off = 0; }
        if (q->n + n > q->cap) {
            size_t c = q->cap ? q->cap : 65536;
            while (c < q->n + n) c *= 2;
            unsigned char *np = realloc(q->p, c);
            if (!np) { say("out of memory"); _exit(70); }
            q->p = np;
            q->cap = c;
        }
    }
    memcpy(q->p + q->n, data, n);
    q->n += n;
}
static size_t q_len(const queue_t *q) { return q->n - q->off; }
static void q_clear(queue_t *q) { q->off = q->n = 0; if (q->cap > (1u << 20)) { free(q->p); q->p = NULL; q->cap = 0; } }
/* Writes what the fd takes; returns -1 when the peer is gone. */
static int q_flush(queue_t *q, int fd) {
    while (q_len(q) > 0) {
        ssize_t w = send(fd, q->p + q->off, q_len(q), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
        q->off += (size_t)w;
    }
    q->off = q->n = 0;
    return 0;
}

static void q_frame(queue_t *q, uint8_t type, uint32_t id, const void *payload, size_t n) {
    unsigned char hdr[9];
    put32(hdr, (uint32_t)(5 + n));
    hdr[4] = type;
    put32(hdr + 5, id);
    q_push(q, hdr, 9);
    if (n) q_push(q, payload, n);
}

/* Incremental frame reader: the payload buffer grows as bytes arrive, never to the announced size at once. */
typedef struct {
    unsigned char hdr[9];
    size_t hdr_got;
    unsigned char *payload;
    size_t len, got, cap;
    uint32_t max;
} reader_t;

typedef void (*frame_fn)(uint8_t type, uint32_t id, unsigned char *payload, size_t n);

/* Reads what is available; calls fn per complete frame. Returns 1 ok, 0 EOF, -1 error, -2 protocol violation. */
static int r_read(reader_t *r, int fd, frame_fn fn, char *why, size_t why_len) {
    unsigned char buf[65536];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
            return -1;
        }
        if (got == 0) return 0;
        size_t i = 0;
        while (i < (size_t)got) {
            if (r->hdr_got < 9) {
                size_t take = 9 - r->hdr_got;
                if (take > (size_t)got - i) take = (size_t)got - i;
                memcpy(r->hdr + r->hdr_got, buf + i, take);
                r->hdr_got += take;
                i += take;
                if (r->hdr_got < 9) break;
                uint32_t len = get32(r->hdr);
                if (len < 5 || len - 5 > r->max) {
                    snprintf(why, why_len, "frame length %u is outside 5..%u", len, r->max + 5);
                    return -2;
                }
                r->len = len - 5;
                r->got = 0;
            }
            size_t take = r->len - r->got;
            if (take > (size_t)got - i) take = (size_t)got - i;
            if (r->got + take > r->cap) {
                size_t c = r->cap ? r->cap : 4096;
                while (c < r->got + take) c *= 2;
                if (c > r->len) c = r->len;
                unsigned char *np = realloc(r->payload, c ? c : 1);
                if (!np) { snprintf(why, why_len, "out of memory"); return -1; }
                r->payload = np;
                r->cap = c;
            }
            if (take) memcpy(r->payload + r->got, buf + i, take);
            r->got += take;
            i += take;
            if (r->got == r->len) {
                fn(r->hdr[4], get32(r->hdr + 5), r->payload, r->len);
                r->hdr_got = 0;
                r->got = r->len = 0;
                if (r->cap > (1u << 20)) { free(r->payload); r->payload = NULL; r->cap = 0; }
            }
        }
    }
    return 1;
}

/* ---------- state ---------- */

static const char *opt_id = "", *opt_socket, *opt_log, *opt_runsc_log, *opt_storage_dir, *opt_memcg, *opt_pid_file;
static long long opt_log_max = 10 << 20, opt_storage_bytes, opt_memory_limit;
static uint32_t opt_main_id;
static int opt_restored;

static int agent_fd = -1, runsc_err_fd = -1, listen_fd = -1, daemon_fd = -1, sig_fd[2] = {-1, -1};
static pid_t runsc_pid = -1;
static int runsc_exited, runsc_status;
static queue_t to_agent, to_daemon;
static reader_t from_agent = {.max = MAX_FROM_AGENT}, from_daemon = {.max = MAX_FROM_DAEMON};
static int daemon_said_hello;
static int quiesced;                       /* between a relayed QUIESCE and RESUME: send the agent nothing of our own */
static queue_t held_for_agent;             /* our own frames (credit, OOM) held while quiesced */
static uint32_t main_id, last_request_id;
static int main_exited;
static int32_t main_status;
static uint32_t inflight[MAX_INFLIGHT];
static int n_inflight;
static char broken[256];                   /* why the agent's channel was given up, or "" */

static int log_fd = -1;
static long long log_size;
static long long runsc_log_size;
static int runsc_log_fd = -1;

static int mem_event_fd = -1;
static int64_t mem_next_setup_ms;
static int mem_setup_tries;
/* runsc makes the memory cgroup while the sandbox boots: look for it every 50 ms (at most 10 s), so the watchdog is
 * armed within ~50 ms of it; at 500 ms, code that allocated at once got the whole sandbox killed by the host (measured) */
#define MEM_SETUP_EVERY_MS 50
#define MEM_SETUP_MAX_TRIES 200
static int64_t last_oom_ms;

/* ---------- main process log ---------- */

static void log_open(void) {
    if (!opt_log) return;
    log_fd = open(opt_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    struct stat st;
    log_size = (log_fd >= 0 && fstat(log_fd, &st) == 0) ? st.st_size : 0;
}

static void log_write(const unsigned char *p, size_t n) {
    if (log_fd < 0) return;
    if (log_size + (long long)n > opt_log_max) {
        /* rotate: keep one previous file, as the kubelet keeps a bounded number of container logs */
        char old[PATH_MAX];
        snprintf(old, sizeof old, "%s.1", opt_log);
        close(log_fd);
        if (rename(opt_log, old)) say("cannot rotate %s: %s", opt_log, strerror(errno));
        log_open();
        if (log_fd < 0) return;
        if ((long long)n > opt_log_max) { p += n - (size_t)opt_log_max; n = (size_t)opt_log_max; }
    }
    while (n > 0) {
        ssize_t w = write(log_fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; say("log write failed: %s", strerror(errno)); return; }
        p += w;
        n -= (size_t)w;
        log_size += w;
    }
}

/* ---------- frames to the agent that the shim makes itself ---------- */

static void own_frame_to_agent(uint8_t type, uint32_t id, const void *payload, size_t n) {
    if (broken[0] || agent_fd < 0) return;
    q_frame(quiesced ? &held_for_agent : &to_agent, type, id, payload, n);
}

static void credit(uint32_t id, uint32_t bytes) {
    unsigned char b[8];
    put32(b, id);
    put32(b + 4, bytes);
    own_frame_to_agent(T_CREDIT, 0, b, 8);
}

static void cancel(uint32_t id) {
    unsigned char b[8];
    put32(b, id);
    put32(b + 4, 9);
    own_frame_to_agent(T_SIGNAL, 0, b, 8);
}

static void inflight_add(uint32_t id) {
    if (n_inflight < MAX_INFLIGHT) inflight[n_inflight++] = id;
}
static void inflight_remove(uint32_t id) {
    for (int i = 0; i < n_inflight; i++)
        if (inflight[i] == id) { inflight[i] = inflight[--n_inflight]; return; }
}

static void break_channel(const char *why) {
    if (broken[0]) return;
    snprintf(broken, sizeof broken, "%s", why);
    say("agent channel broken: %s", why);
    if (daemon_fd >= 0 && daemon_said_hello) q_frame(&to_daemon, S_BROKEN, 0, broken, strlen(broken));
    /* closing the agent's socket makes the agent kill everything and exit: the sandbox ends */
    if (agent_fd >= 0) { shutdown(agent_fd, SHUT_RDWR); close(agent_fd); agent_fd = -1; }
    q_clear(&to_agent);
}

/* ---------- daemon connection ---------- */

static void daemon_close(const char *why) {
    if (daemon_fd < 0) return;
    say("agentboxd disconnected (%s); cancelling %d exec(s) in flight", why, n_inflight);
    close(daemon_fd);
    daemon_fd = -1;
    daemon_said_hello = 0;
    q_clear(&to_daemon);
    from_daemon.hdr_got = 0;
    from_daemon.got = from_daemon.len = 0;
    for (int i = 0; i < n_inflight; i++) cancel(inflight[i]);
    n_inflight = 0;
}

static void send_hello_ok(void) {
    unsigned char b[256];
    size_t n = 0;
    put32(b + n, SHIM_PROTOCOL); n += 4;
    size_t vl = strlen(SHIM_VERSION);
    put32(b + n, (uint32_t)vl); n += 4;
    memcpy(b + n, SHIM_VERSION, vl); n += vl;
    put32(b + n, (uint32_t)runsc_pid); n += 4;
    b[n++] = (uint8_t)(!runsc_exited && agent_fd >= 0 && !broken[0]);
    put32(b + n, main_id); n += 4;
    b[n++] = (uint8_t)main_exited;
    put32(b + n, (uint32_t)main_status); n += 4;
    put32(b + n, last_request_id); n += 4;
    put32(b + n, runsc_exited ? (uint32_t)runsc_status : 0xffffffffu); n += 4;
    size_t bl = strlen(broken);
    put32(b + n, (uint32_t)bl); n += 4;
    memcpy(b + n, broken, bl); n += bl;
    q_frame(&to_daemon, S_HELLO_OK, 0, b, n);
}

static void on_daemon_frame(uint8_t type, uint32_t id, unsigned char *p, size_t n) {
    if (!daemon_said_hello) {
        if (type != S_HELLO || n < 4) { daemon_close("no hello"); return; }
        uint32_t v = get32(p);
        if (v != SHIM_PROTOCOL) {
            char msg[200];
            snprintf(msg, sizeof msg, "this sandbox's shim speaks protocol %u (%s), agentboxd asked for %u", SHIM_PROTOCOL, SHIM_VERSION, v);
            q_frame(&to_daemon, S_BROKEN, 0, msg, strlen(msg));
            return;
        }
        daemon_said_hello = 1;
        send_hello_ok();
        if (runsc_exited) {
            unsigned char b[4];
            put32(b, (uint32_t)runsc_status);
            q_frame(&to_daemon, S_EXITED, 0, b, 4);
        }
        return;
    }
    if (type >= 200) return; /* nothing else is defined for the daemon to send the shim yet */
    if (id > last_request_id && id < 0x80000000u) last_request_id = id;
    if (broken[0] || agent_fd < 0) {
        /* answer what expects an answer, so that the caller fails now instead of timing out */
        if (type != T_SIGNAL && type != T_CREDIT) {
            unsigned char b[64];
            const char *m = "the sandbox is not running";
            put32(b, 5); /* EIO */
            put32(b + 4, (uint32_t)strlen(m));
            memcpy(b + 8, m, strlen(m));
            q_frame(&to_daemon, R_FAIL, id, b, 8 + strlen(m));
        }
        return;
    }
    if (type == T_EXEC || type == T_CONNECT) inflight_add(id); /* cancelled (closed) if this daemon goes away */
    if (type == T_MAIN) { main_id = id; main_exited = 0; }
    q_frame(&to_agent, type, id, p, n);
    if (type == T_QUIESCE) quiesced = 1;
    if (type == T_RESUME) {
        quiesced = 0;
        if (q_len(&held_for_agent)) { q_push(&to_agent, held_for_agent.p + held_for_agent.off, q_len(&held_for_agent)); q_clear(&held_for_agent); }
    }
}

/* ---------- agent frames ---------- */

static void on_agent_frame(uint8_t type, uint32_t id, unsigned char *p, size_t n) {
    if (id != 0 && id == main_id) {
        if (type == R_OUT || type == R_ERR) {
            log_write(p, n);
            credit(id, (uint32_t)n);
            return;
        }
        if (type == R_EXIT || type == R_FAIL) {
            main_exited = 1;
            main_status = type == R_EXIT && n >= 4 ? (int32_t)get32(p) : 127;
            if (type == R_FAIL) {
                const char *m = "agentbox: cannot start the main process\n";
                log_write((const unsigned char *)m, strlen(m));
            }
            say("main process (request %u) ended: %d", id, main_status);
        }
    }
    if (type == R_EXIT || type == R_FAIL) inflight_remove(id);
    if (daemon_fd >= 0 && daemon_said_hello) q_frame(&to_daemon, type, id, p, n);
    /* no daemon: the answer has nobody to go to (its exec was cancelled when the daemon left) */
}

/* ---------- runsc ---------- */

static void runsc_log_write(const unsigned char *p, size_t n) {
    if (runsc_log_fd < 0) return;
    if (runsc_log_size >= RUNSC_LOG_MAX) return;
    if (runsc_log_size + (long long)n > RUNSC_LOG_MAX) {
        const char *m = "\n[agentbox-shim: runsc log capped at 1 MiB]\n";
        n = (size_t)(RUNSC_LOG_MAX - runsc_log_size);
        if (write(runsc_log_fd, p, n) < 0) return;
        if (write(runsc_log_fd, m, strlen(m)) < 0) return;
        runsc_log_size = RUNSC_LOG_MAX;
        return;
    }
    if (write(runsc_log_fd, p, n) > 0) runsc_log_size += (long long)n;
}

static void on_sigchld(int sig) {
    (void)sig;
    int e = errno;
    char c = 0;
    (void)!write(sig_fd[1], &c, 1);
    errno = e;
}

static void reap(void) {
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) return;
        if (pid == runsc_pid) {
            runsc_exited = 1;
            runsc_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            say("runsc exited with %d", runsc_status);
            if (daemon_fd >= 0 && daemon_said_hello) {
                unsigned char b[4];
                put32(b, (uint32_t)runsc_status);
                q_frame(&to_daemon, S_EXITED, 0, b, 4);
            }
        }
    }
}

/* ---------- memory watchdog ----------
 * The host memory cgroup's limit is the sandbox's limit plus headroom (gVisor's own memory, the root
 * overlay's tmpfs). Hitting it makes the host OOM killer kill the sentry: the whole sandbox dies. So the
 * shim asks for threshold events from the cgroup (v1: cgroup.event_control, no polling) between the
 * sandbox's memory limit and the cgroup's limit; on each, it computes what the sandbox uses (rss + shmem
 * minus the overlay's own bytes) and, when that is over the limit, asks the agent to kill the largest
 * group of processes (an exec, or the main process), as a cgroup-aware OOM killer would. */

static long long overlay_bytes(void) {
    if (!opt_storage_dir || opt_storage_bytes <= 0) return 0;
    struct statvfs s;
    if (statvfs(opt_storage_dir, &s)) return 0;
    return (long long)(s.f_blocks - s.f_bfree) * (long long)s.f_frsize;
}

static long long memcg_stat(const char *dir, const char *key) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/memory.stat", dir);
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    char k[64];
    long long v, out = -1;
    while (fscanf(f, "%63s %lld", k, &v) == 2) if (!strcmp(k, key)) { out = v; break; }
    fclose(f);
    return out;
}

static char memcg_dir[1024];

typedef struct { int cfd, efd, ufd; long long lo, hi; } mem_reg_t;
/* errno of a failed registration, for the loop to log (say() is not for two threads); -1 once logged */
static _Atomic int mem_reg_errno;

/* The memory watchdog's threshold registrations (see mem_setup); only write and close, nothing the loop shares. */
static void *mem_register(void *arg) {
    mem_reg_t *r = arg;
    for (int i = 0; i < 16; i++) {
        char line[128];
        long long t = r->lo + (r->hi - r->lo) * i / 16;
        int len = snprintf(line, sizeof line, "%d %d %lld", r->efd, r->ufd, t);
        if (write(r->cfd, line, (size_t)len) < 0) {
            mem_reg_errno = errno ? errno : EIO;
            char c = 0;
            (void)!write(sig_fd[1], &c, 1); /* wake the loop so it logs the failure now */
            break;
        }
    }
    close(r->cfd);
    free(r);
    return NULL;
}

static void mem_setup(void) {
    if (mem_event_fd >= 0 || !opt_memcg || opt_memory_limit <= 0 || mem_setup_tries > MEM_SETUP_MAX_TRIES) return;
    if (now_ms() < mem_next_setup_ms) return;
    mem_setup_tries++;
    mem_next_setup_ms = now_ms() + MEM_SETUP_EVERY_MS;
    snprintf(memcg_dir, sizeof memcg_dir, "/sys/fs/cgroup/memory/%s", opt_memcg);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/memory.limit_in_bytes", memcg_dir);
    FILE *lf = fopen(path, "re");
    if (!lf) return; /* not there yet, or cgroup v2 (no threshold events: RLIMIT_AS is the only guard there) */
    long long hard = 0;
    if (fscanf(lf, "%lld", &hard) != 1) hard = 0;
    fclose(lf);
    snprintf(path, sizeof path, "%s/memory.usage_in_bytes", memcg_dir);
    int ufd = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "%s/cgroup.event_control", memcg_dir);
    int cfd = open(path, O_WRONLY | O_CLOEXEC);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ufd < 0 || cfd < 0 || efd < 0) {
        say("memory watchdog unavailable: %s", strerror(errno));
        if (ufd >= 0) close(ufd);
        if (cfd >= 0) close(cfd);
        if (efd >= 0) close(efd);
        mem_setup_tries = MEM_SETUP_MAX_TRIES + 1;
        return;
    }
    long long lo = opt_memory_limit, hi = hard > lo ? hard : lo + (64LL << 20);
    /* Each threshold written to cgroup.event_control waits for an RCU grace period in the kernel (~8 ms here,
     * measured: 16 writes took 150 ms). Written on the loop they froze the channel of every new sandbox once,
     * about half a second after its start (an exec then took 140 ms instead of 10); a thread of its own writes
     * them while the loop goes on. The eventfd is polled at once: it only fires once a threshold is registered. */
    mem_reg_t *reg = malloc(sizeof *reg);
    pthread_t t;
    sigset_t all, old;
    sigfillset(&all);
    int started = 0;
    if (reg) {
        *reg = (mem_reg_t){.cfd = cfd, .efd = efd, .ufd = ufd, .lo = lo, .hi = hi};
        pthread_sigmask(SIG_BLOCK, &all, &old); /* signals stay the loop's */
        started = pthread_create(&t, NULL, mem_register, reg) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (!started) {
        free(reg);
        say("memory watchdog unavailable: cannot start its thread");
        close(cfd); close(ufd); close(efd);
        mem_setup_tries = MEM_SETUP_MAX_TRIES + 1;
        return;
    }
    pthread_detach(t);
    /* ufd must stay open for the thresholds to stay registered */
    mem_event_fd = efd;
    say("memory watchdog arming between %lld and %lld bytes", lo, hi);
}

static void mem_event(void) {
    uint64_t v;
    while (read(mem_event_fd, &v, sizeof v) == sizeof v) {}
    long long rss = memcg_stat(memcg_dir, "total_rss"), shmem = memcg_stat(memcg_dir, "total_shmem");
    if (rss < 0) rss = memcg_stat(memcg_dir, "rss");
    if (shmem < 0) shmem = memcg_stat(memcg_dir, "shmem");
    long long used = (rss > 0 ? rss : 0) + (shmem > 0 ? shmem : 0) - overlay_bytes();
    if (used <= opt_memory_limit) return;
    int64_t now = now_ms();
    if (now - last_oom_ms < 200) return; /* the last kill's memory is still being given back */
    last_oom_ms = now;
    say("sandbox uses %lld bytes, over its limit of %lld: asking the agent to kill its largest process group", used, opt_memory_limit);
    unsigned char b[16];
    put64(b, (uint64_t)used);
    put64(b + 8, (uint64_t)opt_memory_limit);
    own_frame_to_agent(T_OOM, 0, b, 16);
    if (daemon_fd >= 0 && daemon_said_hello) q_frame(&to_daemon, S_OOM, 0, b, 16);
}

/* ---------- start-up ---------- */

static void usage(void) {
    fprintf(stderr,
            "usage: agentbox-shim --id ID --socket PATH [--log PATH --log-max-bytes N] [--runsc-log PATH] [--shim-log PATH]\n"
            "         [--storage-dir DIR --storage-bytes N] [--memcg PATH --memory-limit N] [--main-id N] [--first-id N] [--restored] [--pid-file PATH] [--ro DIR]... [--hide-proc-sys-net]\n"
            "         -- RUNSC ARGS...\n"
            "Started by agentboxd, one per sandbox; not meant to be run by hand.\n");
    exit(2);
}

static int bind_socket(const char *path) {
    /* bind relative to the socket's directory: sun_path holds only 108 bytes */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    const char *name = path;
    if (slash) { *slash = 0; name = slash + 1; if (chdir(dir[0] ? dir : "/")) return -1; }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(name) >= sizeof a.sun_path) { errno = ENAMETOOLONG; return -1; }
    strcpy(a.sun_path, name);
    unlink(name);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    mode_t old = umask(077);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (rc || listen(fd, 4)) { close(fd); return -1; }
    if (chdir("/")) {}
    return fd;
}

#define MAX_RO 16
static const char *opt_ro[MAX_RO];
static int n_ro;
static int opt_hide_sysnet;

/* The sandbox's mounts, in a private mount namespace (they exist for this shim and its runsc only, and go with
 * them, so nothing leaks): the overlay's size-limited tmpfs, and every directory the sandbox gets read-only
 * (--ro) made read-only here, by the host kernel. gVisor's own read-only bind mounts are not enough: measured on
 * this runsc, `: > /usr/some/file` as root inside gets EROFS but the gofer has already truncated the host file. */
static void set_mounts(void) {
    int storage = opt_storage_dir && opt_storage_bytes > 0;
    if (!storage && n_ro == 0 && !opt_hide_sysnet) return;
    if (unshare(CLONE_NEWNS)) { fprintf(stderr, "agentbox-shim: unshare(CLONE_NEWNS): %s\n", strerror(errno)); exit(3); }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) { fprintf(stderr, "agentbox-shim: make mounts private: %s\n", strerror(errno)); exit(3); }
    for (int i = 0; i < n_ro; i++) {
        if (mount(opt_ro[i], opt_ro[i], NULL, MS_BIND | MS_REC, NULL)
                || mount(NULL, opt_ro[i], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL)) {
            fprintf(stderr, "agentbox-shim: make %s read-only: %s\n", opt_ro[i], strerror(errno));
            exit(3);
        }
    }
    /* --hide-proc-sys-net: runsc 20240729's netstack (--network=sandbox) refuses to run when it believes it is in the
     * host's root network namespace, which it tells by /proc/sys/net/core/rmem_default existing; recent kernels show
     * that file in every namespace (gvisor#10704), so the check refuses the sandbox's own namespace too. An empty tmpfs
     * over /proc/sys/net, for this shim and its runsc only, makes the check see the namespace for what it is; runsc
     * reads nothing else there in this mode (the sandbox's network is gVisor's, configured from the namespace's links). */
    if (opt_hide_sysnet && mount("agentbox-sysnet", "/proc/sys/net", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555")) {
        fprintf(stderr, "agentbox-shim: mount tmpfs on /proc/sys/net: %s\n", strerror(errno));
        exit(3);
    }
    if (!storage) return;
    char opts[64];
    snprintf(opts, sizeof opts, "size=%lld,mode=0700", opt_storage_bytes);
    if (mount("agentbox-overlay", opt_storage_dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts)) {
        fprintf(stderr, "agentbox-shim: mount tmpfs on %s: %s\n", opt_storage_dir, strerror(errno));
        exit(3);
    }
}

int main(int argc, char **argv) {
    int i = 1;
    const char *shim_log = NULL;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (i + 1 >= argc && strcmp(a, "--restored") && strcmp(a, "--hide-proc-sys-net")) usage();
        if (!strcmp(a, "--id")) opt_id = argv[++i];
        else if (!strcmp(a, "--socket")) opt_socket = argv[++i];
        else if (!strcmp(a, "--log")) opt_log = argv[++i];
        else if (!strcmp(a, "--log-max-bytes")) opt_log_max = atoll(argv[++i]);
        else if (!strcmp(a, "--runsc-log")) opt_runsc_log = argv[++i];
        else if (!strcmp(a, "--shim-log")) shim_log = argv[++i];
        else if (!strcmp(a, "--storage-dir")) opt_storage_dir = argv[++i];
        else if (!strcmp(a, "--storage-bytes")) opt_storage_bytes = atoll(argv[++i]);
        else if (!strcmp(a, "--memcg")) opt_memcg = argv[++i];
        else if (!strcmp(a, "--memory-limit")) opt_memory_limit = atoll(argv[++i]);
        else if (!strcmp(a, "--main-id")) opt_main_id = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--first-id")) last_request_id = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--restored")) opt_restored = 1;
        else if (!strcmp(a, "--hide-proc-sys-net")) opt_hide_sysnet = 1;
        else if (!strcmp(a, "--pid-file")) opt_pid_file = argv[++i];
        else if (!strcmp(a, "--ro")) { if (n_ro == MAX_RO) usage(); opt_ro[n_ro++] = argv[++i]; }
        else usage();
    }
    if (!opt_socket || i >= argc) usage();
    if (opt_log_max < 4096) opt_log_max = 4096;
    char **runsc_argv = argv + i;

    /* Detach: the parent (agentboxd's child) waits until the socket is bound, then exits, so the shim is
     * re-parented to init and in a session of its own: agentboxd's death (even kill -9) does not reach it. */
    int ready[2];
    if (pipe2(ready, O_CLOEXEC)) { perror("agentbox-shim: pipe"); return 3; }
    pid_t child = fork();
    if (child < 0) { perror("agentbox-shim: fork"); return 3; }
    if (child > 0) {
        close(ready[1]);
        char msg[512];
        ssize_t n = read(ready[0], msg, sizeof msg - 1);
        if (n == 1 && msg[0] == 'R') return 0;
        if (n > 0) { msg[n] = 0; fprintf(stderr, "%s", msg); }
        else fprintf(stderr, "agentbox-shim: the shim died while starting\n");
        return 3;
    }
    close(ready[0]);
    setsid();
    /* errors before the socket is bound go to the parent through the pipe */
    if (dup2(ready[1], 2) < 0) _exit(3);
    set_mounts();
    if (shim_log) diag = fopen(shim_log, "ae");
    listen_fd = bind_socket(opt_socket);
    if (listen_fd < 0) { fprintf(stderr, "agentbox-shim: cannot listen on %s: %s\n", opt_socket, strerror(errno)); _exit(3); }
    if (opt_pid_file) {
        FILE *pf = fopen(opt_pid_file, "we");
        if (pf) { fprintf(pf, "%d\n", getpid()); fclose(pf); }
    }
    main_id = opt_main_id;
    quiesced = opt_restored; /* a restored agent waits for RESUME; nothing of ours may reach it first */
    log_open();
    if (opt_runsc_log) {
        runsc_log_fd = open(opt_runsc_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        struct stat st;
        if (runsc_log_fd >= 0 && fstat(runsc_log_fd, &st) == 0) runsc_log_size = st.st_size;
    }
    if (pipe2(sig_fd, O_CLOEXEC | O_NONBLOCK)) { fprintf(stderr, "agentbox-shim: pipe: %s\n", strerror(errno)); _exit(3); }
    struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);

    int chan[2], errs[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, errs)) {
        fprintf(stderr, "agentbox-shim: socketpair: %s\n", strerror(errno));
        _exit(3);
    }
    runsc_pid = fork();
    if (runsc_pid < 0) { fprintf(stderr, "agentbox-shim: fork: %s\n", strerror(errno)); _exit(3); }
    if (runsc_pid == 0) {
        dup2(chan[1], 0);
        dup2(chan[1], 1);
        dup2(errs[1], 2);
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigaction(SIGPIPE, &dfl, NULL);
        sigaction(SIGHUP, &dfl, NULL);
        sigaction(SIGINT, &dfl, NULL);
        execvp(runsc_argv[0], runsc_argv);
        fprintf(stderr, "agentbox-shim: cannot run %s: %s\n", runsc_argv[0], strerror(errno));
        _exit(127);
    }
    close(chan[1]);
    close(errs[1]);
    agent_fd = chan[0];
    runsc_err_fd = errs[0];
    /* Not O_NONBLOCK on these: gVisor then sees the sandbox's end of the socketpair as non-blocking too
     * (measured), and the agent's writes fail with EAGAIN. Every send and recv here uses MSG_DONTWAIT. */
    say("shim %s for %s: runsc pid %d%s", SHIM_VERSION, opt_id, runsc_pid, opt_restored ? " (restore)" : "");

    /* started: tell the parent, and stop writing to its pipe */
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    (void)!write(ready[1], "R", 1);
    if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); dup2(devnull, 2); }
    close(ready[1]);

    for (;;) {
        if (runsc_exited && daemon_fd >= 0 && daemon_said_hello && q_len(&to_daemon) == 0) break;
        if (runsc_exited && agent_fd >= 0) { close(agent_fd); agent_fd = -1; }
        mem_setup();
        if (mem_reg_errno > 0) { say("cgroup.event_control: %s", strerror(mem_reg_errno)); mem_reg_errno = -1; }
        struct pollfd pf[6];
        int n = 0, i_listen = -1, i_daemon = -1, i_agent = -1, i_err = -1, i_sig = -1, i_mem = -1;
        i_sig = n; pf[n++] = (struct pollfd){.fd = sig_fd[0], .events = POLLIN};
        i_listen = n; pf[n++] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
        if (daemon_fd >= 0) {
            short ev = q_len(&to_agent) < OUT_HIGH_WATER ? POLLIN : 0;
            if (q_len(&to_daemon)) ev |= POLLOUT;
            i_daemon = n; pf[n++] = (struct pollfd){.fd = daemon_fd, .events = ev};
        }
        if (agent_fd >= 0) {
            short ev = q_len(&to_daemon) < OUT_HIGH_WATER ? POLLIN : 0;
            if (q_len(&to_agent)) ev |= POLLOUT;
            i_agent = n; pf[n++] = (struct pollfd){.fd = agent_fd, .events = ev};
        }
        if (runsc_err_fd >= 0) { i_err = n; pf[n++] = (struct pollfd){.fd = runsc_err_fd, .events = POLLIN}; }
        if (mem_event_fd >= 0) { i_mem = n; pf[n++] = (struct pollfd){.fd = mem_event_fd, .events = POLLIN}; }
        int timeout = (mem_event_fd < 0 && opt_memcg && mem_setup_tries <= MEM_SETUP_MAX_TRIES) ? MEM_SETUP_EVERY_MS : -1;
        if (poll(pf, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR) continue;
            say("poll: %s", strerror(errno));
            _exit(4);
        }
        if (pf[i_sig].revents) {
            char drain[64];
            while (read(sig_fd[0], drain, sizeof drain) > 0) {}
            reap();
        }
        if (pf[i_listen].revents & POLLIN) {
            int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (c >= 0) {
                if (daemon_fd >= 0) daemon_close("replaced by a new connection");
                daemon_fd = c;
                say("agentboxd connected");
            }
            i_daemon = -1; /* the pollfd above belonged to the old connection */
        }
        if (i_daemon >= 0 && daemon_fd >= 0) {
            if (pf[i_daemon].revents & POLLOUT) {
                if (q_flush(&to_daemon, daemon_fd) < 0) daemon_close("write failed");
            }
            if (daemon_fd >= 0 && (pf[i_daemon].revents & (POLLIN | POLLHUP | POLLERR))) {
                char why[128] = "";
                int rc = r_read(&from_daemon, daemon_fd, on_daemon_frame, why, sizeof why);
                if (rc == 0) daemon_close("end of stream");
                else if (rc < 0) daemon_close(rc == -2 ? why : "read failed");
            }
        }
        if (i_agent >= 0 && agent_fd >= 0) {
            if (pf[i_agent].revents & POLLOUT) {
                if (q_flush(&to_agent, agent_fd) < 0) break_channel("the agent stopped reading (its socket closed)");
            }
            if (agent_fd >= 0 && (pf[i_agent].revents & (POLLIN | POLLHUP | POLLERR))) {
                char why[160] = "";
                int rc = r_read(&from_agent, agent_fd, on_agent_frame, why, sizeof why);
                if (rc == 0 || rc == -1) {
                    close(agent_fd);
                    agent_fd = -1;
                    say("the agent's channel closed");
                } else if (rc == -2) {
                    char msg[220];
                    snprintf(msg, sizeof msg, "protocol violation from inside the sandbox: %s", why);
                    break_channel(msg);
                }
            }
        }
        if (i_err >= 0 && (pf[i_err].revents & (POLLIN | POLLHUP | POLLERR))) {
            unsigned char buf[8192];
            ssize_t got = recv(runsc_err_fd, buf, sizeof buf, MSG_DONTWAIT);
            if (got > 0) runsc_log_write(buf, (size_t)got);
            else if (got == 0 || (errno != EAGAIN && errno != EINTR)) { close(runsc_err_fd); runsc_err_fd = -1; }
        }
        if (i_mem >= 0 && (pf[i_mem].revents & POLLIN)) mem_event();
        if (daemon_fd >= 0 && q_len(&to_daemon)) { if (q_flush(&to_daemon, daemon_fd) < 0) daemon_close("write failed"); }
        if (agent_fd >= 0 && q_len(&to_agent)) { if (q_flush(&to_agent, agent_fd) < 0) break_channel("the agent stopped reading"); }
    }
    if (daemon_fd >= 0) { shutdown(daemon_fd, SHUT_WR); close(daemon_fd); }
    unlink(opt_socket);
    if (opt_pid_file) unlink(opt_pid_file);
    say("shim exits");
    return 0;
}
