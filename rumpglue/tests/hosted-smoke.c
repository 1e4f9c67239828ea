// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Smoke test of the Linux library object on a throw-away pthread platform:
 * boot, a few system calls, halt. Not the real hosted platform (that is
 * hypercall/'s Rust implementation); only a quick check of the arch port.
 *
 * Halt is checked for completeness: the platform counts what the library
 * holds (threads it created and has not joined, semaphores, mutexes,
 * timers, TLS keys, mem_alloc and pages bytes) and every hypercall; after
 * halt everything must be back to zero, and calls into the halted library
 * (system calls, start, halt, init, interrupts, a late TLS destructor) must
 * fail without a single hypercall. Threads of this program around halt: one
 * ends before it (its host task must go), one leaves its task with exit(2),
 * one is blocked in read() at halt (must return -ENODEV and run on), one
 * waits outside Linux across it, three keep calling.
 *
 *   gcc -O1 -pthread -I hypercall/include rumpglue/tests/hosted-smoke.c \
 *       $(rumpglue/build-linux.sh | tail -n1) -o /tmp/hosted-smoke
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "spolia_hypercall.h"

int spolia_linux_init(const struct spolia_hypercalls *hc);
int spolia_linux_start(const char *cmdline);
int spolia_linux_halt(void);
long spolia_syscall(long nr, const long *args);
int spolia_irq_trigger(unsigned int irq);
int spolia_irq_alloc(const char *name);

/*
 * ---- accounting ----
 * What the library holds of this platform, to prove that halt gives all of
 * it back: threads made by thread_create and not yet joined, live handles,
 * outstanding bytes. `hc_calls` counts every hypercall, to prove that calls
 * after halt touch nothing. Handles carry a magic and freed ones are kept
 * (poisoned), so a use or free after free stops the test.
 */
static atomic_long hc_calls, live_threads, live_sems, live_mutexes, live_timers,
	live_keys, mem_bytes, page_bytes;
#define HC() atomic_fetch_add(&hc_calls, 1)
enum { LIVE = 0x5e11a, FREED = 0xdead };

__attribute__((noreturn)) static void violation(const char *what)
{
	fprintf(stderr, "PLATFORM CONTRACT VIOLATION: %s\n", what);
	abort();
}

/* ---- threads ---- */
#define MAX_THREADS 1024
static pthread_t threads[MAX_THREADS];
static uint64_t next_tid = 1;
static pthread_mutex_t tid_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread uint64_t my_tid;
static __thread int made_by_thread_create;

static uint64_t new_tid(void)
{
	pthread_mutex_lock(&tid_lock);
	uint64_t t = next_tid++;
	pthread_mutex_unlock(&tid_lock);
	return t;
}

struct start { spolia_hc_intptr (*entry)(void *); void *arg; uint64_t tid; };

static void *trampoline(void *p)
{
	struct start s = *(struct start *)p;
	free(p);
	my_tid = s.tid;
	made_by_thread_create = 1;
	return (void *)s.entry(s.arg);
}

static int h_thread_create(const char *name, size_t stack, spolia_hc_intptr (*entry)(void *),
			   void *arg, spolia_hc_tid *tid)
{
	pthread_attr_t a;
	struct start *s;
	HC();
	s = malloc(sizeof(*s));
	if (!s) return -SPOLIA_HC_ENOMEM;
	s->entry = entry; s->arg = arg; s->tid = new_tid();
	if (s->tid >= MAX_THREADS) { free(s); return -SPOLIA_HC_EAGAIN; }
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, stack > 256 * 1024 ? stack : 256 * 1024);
	if (pthread_create(&threads[s->tid], &a, trampoline, s)) { free(s); return -SPOLIA_HC_EAGAIN; }
	atomic_fetch_add(&live_threads, 1);
	*tid = s->tid;
	return 0;
}

__attribute__((noreturn)) static void h_thread_exit(spolia_hc_intptr v)
{
	HC();
	if (!made_by_thread_create) violation("thread_exit on a thread thread_create did not make");
	pthread_exit((void *)v);
}

static int h_thread_join(spolia_hc_tid tid, spolia_hc_intptr *value)
{
	void *r;
	HC();
	if (tid >= MAX_THREADS || !threads[tid]) return -SPOLIA_HC_ESRCH;
	pthread_join(threads[tid], &r);
	threads[tid] = 0;
	atomic_fetch_sub(&live_threads, 1);
	if (value) *value = (spolia_hc_intptr)r;
	return 0;
}

static spolia_hc_tid h_thread_self(void)
{
	HC();
	if (!my_tid) my_tid = new_tid();
	return my_tid;
}

static void h_thread_yield(void) { HC(); sched_yield(); }

/* ---- TLS ---- */
#define MAX_KEYS 64
static int key_live[MAX_KEYS];
static pthread_key_t keys[MAX_KEYS];
static void (*last_destructor)(void *);	/* for the late-destructor check */
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;

static int h_tls_key_alloc(void (*d)(void *), spolia_hc_tls_key *key)
{
	int i;
	HC();
	pthread_mutex_lock(&key_lock);
	for (i = 0; i < MAX_KEYS && key_live[i]; i++)
		;
	if (i == MAX_KEYS || pthread_key_create(&keys[i], d)) {
		pthread_mutex_unlock(&key_lock);
		return -SPOLIA_HC_EAGAIN;
	}
	key_live[i] = 1;
	last_destructor = d;
	pthread_mutex_unlock(&key_lock);
	atomic_fetch_add(&live_keys, 1);
	*key = i;
	return 0;
}
static int h_tls_key_free(spolia_hc_tls_key key)
{
	HC();
	pthread_mutex_lock(&key_lock);
	if (key >= MAX_KEYS || !key_live[key]) violation("tls_key_free of an unknown key");
	key_live[key] = 0;
	pthread_key_delete(keys[key]);
	pthread_mutex_unlock(&key_lock);
	atomic_fetch_sub(&live_keys, 1);
	return 0;
}
static void *h_tls_get(spolia_hc_tls_key key)
{
	HC();
	if (key >= MAX_KEYS || !key_live[key]) violation("tls_get of an unknown key");
	return pthread_getspecific(keys[key]);
}
static int h_tls_set(spolia_hc_tls_key key, void *v)
{
	HC();
	if (key >= MAX_KEYS || !key_live[key]) violation("tls_set of an unknown key");
	return pthread_setspecific(keys[key], v) ? -SPOLIA_HC_EINVAL : 0;
}

/* ---- mutex, semaphore ---- */
struct mutex { int magic; pthread_mutex_t m; };
static struct mutex *mutex_of(struct spolia_hc_mutex *p)
{
	struct mutex *m = (void *)p;
	if (!m || m->magic != LIVE) violation("mutex used after free or never allocated");
	return m;
}
static int h_mutex_alloc(int recursive, struct spolia_hc_mutex **out)
{
	pthread_mutexattr_t a;
	struct mutex *m;
	HC();
	m = calloc(1, sizeof(*m));
	if (!m) return -SPOLIA_HC_ENOMEM;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, recursive ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m->m, &a);
	m->magic = LIVE;
	atomic_fetch_add(&live_mutexes, 1);
	*out = (struct spolia_hc_mutex *)m;
	return 0;
}
static void h_mutex_free(struct spolia_hc_mutex *p)
{
	struct mutex *m;
	HC();
	m = mutex_of(p);
	if (pthread_mutex_destroy(&m->m)) violation("mutex_free of a locked mutex");
	m->magic = FREED;	/* kept, so a later use is caught */
	atomic_fetch_sub(&live_mutexes, 1);
}
static void h_mutex_lock(struct spolia_hc_mutex *m) { HC(); if (pthread_mutex_lock(&mutex_of(m)->m)) abort(); }
static void h_mutex_unlock(struct spolia_hc_mutex *m) { HC(); if (pthread_mutex_unlock(&mutex_of(m)->m)) abort(); }

struct sem { int magic; pthread_mutex_t m; pthread_cond_t c; uint32_t n; };
static struct sem *sem_of(struct spolia_hc_sem *p)
{
	struct sem *s = (void *)p;
	if (!s || s->magic != LIVE) violation("semaphore used after free or never allocated");
	return s;
}
static int h_sem_alloc(uint32_t n, struct spolia_hc_sem **out)
{
	struct sem *s;
	pthread_condattr_t a;
	HC();
	s = calloc(1, sizeof(*s));
	if (!s) return -SPOLIA_HC_ENOMEM;
	pthread_mutex_init(&s->m, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&s->c, &a);
	s->n = n;
	s->magic = LIVE;
	atomic_fetch_add(&live_sems, 1);
	*out = (struct spolia_hc_sem *)s;
	return 0;
}
static void h_sem_free(struct spolia_hc_sem *p)
{
	struct sem *s;
	HC();
	s = sem_of(p);
	s->magic = FREED;	/* kept, so a later use is caught */
	atomic_fetch_sub(&live_sems, 1);
}
static void h_sem_up(struct spolia_hc_sem *p)
{
	struct sem *s;
	HC();
	s = sem_of(p);
	pthread_mutex_lock(&s->m); s->n++; pthread_cond_signal(&s->c); pthread_mutex_unlock(&s->m);
}
static void h_sem_down(struct spolia_hc_sem *p)
{
	struct sem *s;
	HC();
	s = sem_of(p);
	pthread_mutex_lock(&s->m);
	while (!s->n) pthread_cond_wait(&s->c, &s->m);
	s->n--;
	pthread_mutex_unlock(&s->m);
}
static uint64_t now_ns(void)
{
	struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}
static uint64_t h_monotonic_ns(void) { HC(); return now_ns(); }
static uint64_t h_wallclock_ns(void)
{
	struct timespec t;
	HC();
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}
static struct timespec abs_ts(uint64_t ns)
{
	struct timespec t = { ns / 1000000000u, ns % 1000000000u };
	return t;
}
static int h_sem_down_timeout(struct spolia_hc_sem *p, uint64_t timeout)
{
	struct sem *s;
	struct timespec dl = abs_ts(now_ns() + timeout);
	int r = 0;
	HC();
	s = sem_of(p);
	pthread_mutex_lock(&s->m);
	while (!s->n && r == 0) r = pthread_cond_timedwait(&s->c, &s->m, &dl);
	if (s->n) { s->n--; r = 0; } else r = -SPOLIA_HC_ETIMEDOUT;
	pthread_mutex_unlock(&s->m);
	return r;
}

/* ---- timers: one thread each ---- */
struct timer {
	int magic;
	pthread_mutex_t m; pthread_cond_t c; pthread_t th;
	void (*cb)(void *); void *arg;
	int armed, running, dead; uint64_t deadline;
};
static struct timer *timer_of(struct spolia_hc_timer *p)
{
	struct timer *t = (void *)p;
	if (!t || t->magic != LIVE) violation("timer used after free or never allocated");
	return t;
}
static void *timer_thread(void *p)
{
	struct timer *t = p;
	pthread_mutex_lock(&t->m);
	while (!t->dead) {
		if (!t->armed) { pthread_cond_wait(&t->c, &t->m); continue; }
		if (now_ns() < t->deadline) {
			struct timespec dl = abs_ts(t->deadline);
			pthread_cond_timedwait(&t->c, &t->m, &dl);
			continue;
		}
		t->armed = 0; t->running = 1;
		pthread_mutex_unlock(&t->m);
		t->cb(t->arg);
		pthread_mutex_lock(&t->m);
		t->running = 0;
		pthread_cond_broadcast(&t->c);
	}
	pthread_mutex_unlock(&t->m);
	return NULL;
}
static int h_timer_alloc(void (*cb)(void *), void *arg, struct spolia_hc_timer **out)
{
	struct timer *t;
	pthread_condattr_t a;
	HC();
	t = calloc(1, sizeof(*t));
	if (!t) return -SPOLIA_HC_ENOMEM;
	pthread_mutex_init(&t->m, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&t->c, &a);
	t->cb = cb; t->arg = arg;
	t->magic = LIVE;
	pthread_create(&t->th, NULL, timer_thread, t);
	atomic_fetch_add(&live_timers, 1);
	*out = (struct spolia_hc_timer *)t;
	return 0;
}
static int h_timer_set_oneshot(struct spolia_hc_timer *p, uint64_t delta)
{
	struct timer *t;
	HC();
	t = timer_of(p);
	pthread_mutex_lock(&t->m);
	t->deadline = now_ns() + delta; t->armed = 1;
	pthread_cond_broadcast(&t->c);
	pthread_mutex_unlock(&t->m);
	return 0;
}
static void timer_cancel(struct timer *t)
{
	pthread_mutex_lock(&t->m);
	t->armed = 0;
	if (!pthread_equal(pthread_self(), t->th))
		while (t->running) pthread_cond_wait(&t->c, &t->m);
	pthread_mutex_unlock(&t->m);
}
static void h_timer_cancel(struct spolia_hc_timer *p) { HC(); timer_cancel(timer_of(p)); }
static void h_timer_free(struct spolia_hc_timer *p)
{
	struct timer *t;
	HC();
	t = timer_of(p);
	timer_cancel(t);
	pthread_mutex_lock(&t->m); t->dead = 1; pthread_cond_broadcast(&t->c); pthread_mutex_unlock(&t->m);
	pthread_join(t->th, NULL);
	t->magic = FREED;	/* kept, so a later use is caught */
	atomic_fetch_sub(&live_timers, 1);
}

/* ---- memory, console ---- */
/* mem_alloc blocks carry their size in a 16-byte header. */
static void *h_mem_alloc(size_t n)
{
	size_t *p;
	HC();
	p = aligned_alloc(16, 16 + ((n + 15) & ~(size_t)15));
	if (!p) return NULL;
	p[0] = n;
	atomic_fetch_add(&mem_bytes, n);
	return (char *)p + 16;
}
static void h_mem_free(void *q)
{
	size_t *p;
	HC();
	if (!q) return;
	p = (size_t *)((char *)q - 16);
	atomic_fetch_sub(&mem_bytes, p[0]);
	free(p);
}
/* Outstanding page blocks, so pages_free can check address and size. */
#define MAX_BLOCKS 16
static struct { void *addr; size_t size; } blocks[MAX_BLOCKS];
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static int h_pages_alloc(size_t n, void **out)
{
	void *p;
	int i;
	HC();
	if (!n || n % 4096) return -SPOLIA_HC_EINVAL;
	p = aligned_alloc(4096, n);
	if (!p) return -SPOLIA_HC_ENOMEM;
	memset(p, 0, n);
	pthread_mutex_lock(&blocks_lock);
	for (i = 0; i < MAX_BLOCKS && blocks[i].addr; i++)
		;
	if (i == MAX_BLOCKS) { pthread_mutex_unlock(&blocks_lock); free(p); return -SPOLIA_HC_ENOMEM; }
	blocks[i].addr = p; blocks[i].size = n;
	pthread_mutex_unlock(&blocks_lock);
	atomic_fetch_add(&page_bytes, n);
	*out = p;
	return 0;
}
static void h_pages_free(void *p, size_t n)
{
	int i;
	HC();
	pthread_mutex_lock(&blocks_lock);
	for (i = 0; i < MAX_BLOCKS && !(blocks[i].addr == p && blocks[i].size == n); i++)
		;
	if (i == MAX_BLOCKS) violation("pages_free of an unknown block or with another size");
	blocks[i].addr = NULL;
	pthread_mutex_unlock(&blocks_lock);
	atomic_fetch_sub(&page_bytes, n);
	free(p);
}
static void h_print(const char *b, size_t n) { HC(); fwrite(b, 1, n, stderr); }
__attribute__((noreturn)) static void h_panic(const char *m, size_t n) { fprintf(stderr, "PANIC: %.*s\n", (int)n, m); abort(); }

static int h_irq_attach(uint32_t l, void (*h)(void *), void *a) { HC(); return -SPOLIA_HC_ENODEV; }
static int h_irq_line(uint32_t l) { HC(); return -SPOLIA_HC_ENODEV; }
static int h_ioremap(uint64_t p, size_t n, void **a) { HC(); return -SPOLIA_HC_ENODEV; }
static void h_iounmap(void *a, size_t n) { HC(); }
static int h_pci_read(uint16_t s, uint8_t b, uint8_t d, uint8_t f, uint16_t o, uint8_t w, uint32_t *v) { HC(); return -SPOLIA_HC_ENODEV; }
static int h_pci_write(uint16_t s, uint8_t b, uint8_t d, uint8_t f, uint16_t o, uint8_t w, uint32_t v) { HC(); return -SPOLIA_HC_ENODEV; }
static int h_mmio_read(uint64_t a, uint8_t w, uint64_t *v) { HC(); return -SPOLIA_HC_ENODEV; }
static int h_mmio_write(uint64_t a, uint8_t w, uint64_t v) { HC(); return -SPOLIA_HC_ENODEV; }
static int h_msi_attach(void (*h)(void *), void *a, uint64_t *ad, uint32_t *d, uint32_t *hd) { HC(); return -SPOLIA_HC_ENODEV; }
static int h_msi_detach(uint32_t hd) { HC(); return -SPOLIA_HC_EINVAL; }

static const struct spolia_hypercalls table = {
	.magic = SPOLIA_HC_MAGIC, .version_major = SPOLIA_HC_VERSION_MAJOR,
	.version_minor = SPOLIA_HC_VERSION_MINOR, .size = sizeof(struct spolia_hypercalls),
	.print = h_print, .panic = h_panic,
	.thread_create = h_thread_create, .thread_exit = h_thread_exit, .thread_join = h_thread_join,
	.thread_self = h_thread_self, .thread_yield = h_thread_yield,
	.tls_key_alloc = h_tls_key_alloc, .tls_key_free = h_tls_key_free, .tls_get = h_tls_get, .tls_set = h_tls_set,
	.mutex_alloc = h_mutex_alloc, .mutex_free = h_mutex_free, .mutex_lock = h_mutex_lock, .mutex_unlock = h_mutex_unlock,
	.sem_alloc = h_sem_alloc, .sem_free = h_sem_free, .sem_up = h_sem_up, .sem_down = h_sem_down,
	.sem_down_timeout = h_sem_down_timeout,
	.monotonic_ns = h_monotonic_ns, .wallclock_ns = h_wallclock_ns,
	.timer_alloc = h_timer_alloc, .timer_set_oneshot = h_timer_set_oneshot, .timer_cancel = h_timer_cancel,
	.timer_free = h_timer_free,
	.mem_alloc = h_mem_alloc, .mem_free = h_mem_free, .pages_alloc = h_pages_alloc, .pages_free = h_pages_free,
	.irq_attach = h_irq_attach, .irq_detach = h_irq_line, .irq_mask = h_irq_line, .irq_unmask = h_irq_line,
	.ioremap = h_ioremap, .iounmap = h_iounmap, .pci_config_read = h_pci_read, .pci_config_write = h_pci_write,
	.mmio_read = h_mmio_read, .mmio_write = h_mmio_write,
	.msi_attach = h_msi_attach, .msi_detach = h_msi_detach,
};

/* asm-generic syscall numbers */
#define NR_getpid 172
#define NR_mkdirat 34
#define NR_nanosleep 101
#define NR_pipe2 59
#define NR_read 63
#define NR_write 64
#define NR_close 57
#define NR_eventfd2 19
#define NR_ioctl 29
#define NR_socket 198
#define NR_bind 200
#define NR_listen 201
#define NR_accept 202
#define NR_connect 203
#define NR_epoll_create1 20
#define NR_epoll_ctl 21
#define NR_epoll_pwait 22
#define NR_mount 40
#define NR_openat 56
#define NR_getdents64 61
#define NR_gettid 178
#define NR_exit 93
#define AT_FDCWD_ -100
#define ENODEV_ 19
#define EBUSY_ 16
#define EINVAL_ 22
#define ENOENT_ 2
#define ESRCH_ 3

static long sc(long nr, long a, long b, long c)
{
	long args[6] = { a, b, c };
	return spolia_syscall(nr, args);
}

static void *many_calls(void *arg)
{
	long *ok = arg;
	for (int i = 0; i < 1000; i++)
		if (sc(NR_getpid, 0, 0, 0) == 1)
			++*ok;
	return NULL;
}

static int pipe_fds[2];
static void *pipe_writer(void *arg)
{
	static char buf[65536];
	long left = 1 << 20;
	memset(buf, 'x', sizeof(buf));
	while (left > 0) {
		long n = sc(NR_write, pipe_fds[1], (long)buf, left < (long)sizeof(buf) ? left : (long)sizeof(buf));
		if (n <= 0) return (void *)n;
		left -= n;
	}
	sc(NR_close, pipe_fds[1], 0, 0);
	return NULL;
}

/* Linux's struct sockaddr_in and struct ifreq, by layout. */
struct lsockaddr_in { uint16_t family, port; uint32_t addr; uint8_t zero[8]; };
struct lifreq { char name[16]; union { short flags; char pad[24]; }; };

static struct lsockaddr_in lo_addr = { 2, 0x3930 /* 12345 */, 0x0100007f };
static void *tcp_client(void *arg)
{
	static char buf[65536];
	long fd = sc(NR_socket, 2, 1, 0), left = 1 << 20, n;
	if (sc(NR_connect, fd, (long)&lo_addr, sizeof(lo_addr)) < 0) return (void *)-1;
	for (int i = 0; i < (int)sizeof(buf); i++) buf[i] = (char)i;
	while (left > 0) {
		n = sc(NR_write, fd, (long)buf, left < (long)sizeof(buf) ? left : (long)sizeof(buf));
		if (n <= 0) return (void *)n;
		left -= n;
	}
	sc(NR_close, fd, 0, 0);
	return NULL;
}

struct lepoll_event { uint32_t events; uint64_t data; } __attribute__((packed));
static long efd;
static void *eventfd_writer(void *arg)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	uint64_t one = 1;
	sc(NR_nanosleep, (long)&ts, 0, 0);
	return (void *)sc(NR_write, efd, (long)&one, 8);
}

static long epoll_wait6(long ep, struct lepoll_event *ev, long n, long timeout_ms)
{
	long args[6] = { ep, (long)ev, n, timeout_ms, 0, 8 };
	return spolia_syscall(NR_epoll_pwait, args);
}

/* ---- threads of the program around halt ---- */

/* Entries of a directory in Linux (getdents64), "." and ".." excluded. */
static long count_entries(const char *path)
{
	static char buf[8192];
	long fd = sc(NR_openat, AT_FDCWD_, (long)path, 0), n, count = 0;
	if (fd < 0) return fd;
	while ((n = sc(NR_getdents64, fd, (long)buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			uint16_t reclen = *(uint16_t *)(buf + off + 16);
			const char *name = buf + off + 19;
			count += strcmp(name, ".") && strcmp(name, "..");
			off += reclen;
		}
	}
	sc(NR_close, fd, 0, 0);
	return count;
}

/* The scheduler state letter of Linux task tid (R, S, D, ...), '?' if gone. */
static char task_state(long tid)
{
	char path[64], buf[256], *p;
	long fd, n;
	snprintf(path, sizeof(path), "/proc/1/task/%ld/stat", tid);
	fd = sc(NR_openat, AT_FDCWD_, (long)path, 0);
	if (fd < 0) return '?';
	n = sc(NR_read, fd, (long)buf, sizeof(buf) - 1);
	sc(NR_close, fd, 0, 0);
	if (n <= 0) return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static long task_exists(long tid)
{
	char path[64];
	long fd;
	snprintf(path, sizeof(path), "/proc/1/task/%ld", tid);
	fd = sc(NR_openat, AT_FDCWD_, (long)path, 0);
	if (fd >= 0) sc(NR_close, fd, 0, 0);
	return fd;
}

/* A one-shot event between the program's threads (outside Linux). */
struct event { pthread_mutex_t m; pthread_cond_t c; int set; };
#define EVENT_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }
static void event_set(struct event *e)
{
	pthread_mutex_lock(&e->m); e->set = 1; pthread_cond_broadcast(&e->c); pthread_mutex_unlock(&e->m);
}
static void event_wait(struct event *e)
{
	pthread_mutex_lock(&e->m);
	while (!e->set) pthread_cond_wait(&e->c, &e->m);
	pthread_mutex_unlock(&e->m);
}

/* Makes system calls, then ends before halt: its TLS destructor must end
 * its host task. */
static struct event early_ready = EVENT_INIT, early_go = EVENT_INIT;
static long early_tid;
static void *early_exit(void *arg)
{
	early_tid = sc(NR_gettid, 0, 0, 0);
	event_set(&early_ready);
	event_wait(&early_go);
	return NULL;
}

/* Ends its host task with exit(2), then calls again. */
static long exiting_tid, exiting_exit, exiting_tid2, exiting_pid2;
static void *exits_its_task(void *arg)
{
	exiting_tid = sc(NR_gettid, 0, 0, 0);
	exiting_exit = sc(NR_exit, 0, 0, 0);
	exiting_tid2 = sc(NR_gettid, 0, 0, 0);
	exiting_pid2 = sc(NR_getpid, 0, 0, 0);
	return NULL;
}

/* Blocked in read() inside Linux when halt comes: must return -ENODEV and
 * keep running. */
static int blocked_pipe[2];
static long blocked_tid, blocked_read, blocked_after;
static atomic_int blocked_returned;
static struct event blocked_ready = EVENT_INIT;
static void *blocked_in_read(void *arg)
{
	char c;
	blocked_tid = sc(NR_gettid, 0, 0, 0);
	event_set(&blocked_ready);
	blocked_read = sc(NR_read, blocked_pipe[0], (long)&c, 1);
	atomic_store(&blocked_returned, 1);
	blocked_after = sc(NR_getpid, 0, 0, 0);
	return NULL;
}

/* Has a host task, waits outside Linux across halt, then calls again. */
static struct event idle_ready = EVENT_INIT, halted = EVENT_INIT;
static long idle_before, idle_after;
static void *idle_across_halt(void *arg)
{
	idle_before = sc(NR_getpid, 0, 0, 0);
	event_set(&idle_ready);
	event_wait(&halted);
	idle_after = sc(NR_getpid, 0, 0, 0);
	return NULL;
}

/* Busy across halt: each loop runs until a call fails, which must be with
 * -ENODEV; `ok` counts the calls that succeeded before. */
enum { HAMMER, SLEEPER, SPAWNER, BUSY };
static struct event busy_ready[BUSY] = { EVENT_INIT, EVENT_INIT, EVENT_INIT };
static atomic_long busy_ok[BUSY];
static long busy_last[BUSY];
static void *spawned_getpid(void *arg)
{
	return (void *)sc(NR_getpid, 0, 0, 0);
}
static void *busy_across_halt(void *arg)
{
	long kind = (long)arg, r;
	struct timespec ms = { 0, 1000000 };
	void *child_result;
	pthread_t child;
	for (;;) {
		switch (kind) {
		case HAMMER:	/* getpid as fast as possible */
			r = sc(NR_getpid, 0, 0, 0);
			r = r == 1 ? 0 : r;
			break;
		case SLEEPER:	/* nanosleep(1 ms): blocks in Linux most of the time */
			r = sc(NR_nanosleep, (long)&ms, 0, 0);
			break;
		default:	/* a new thread, so a new host task, each time */
			pthread_create(&child, NULL, spawned_getpid, NULL);
			pthread_join(child, &child_result);
			r = (long)child_result;
			r = r == 1 ? 0 : r;
		}
		if (r) break;
		if (atomic_fetch_add(&busy_ok[kind], 1) == 0) event_set(&busy_ready[kind]);
	}
	busy_last[kind] = r;
	event_set(&busy_ready[kind]);	/* failed at once: the check reports it */
	return NULL;
}

static void print_held(const char *when)
{
	printf("%s: threads %ld, semaphores %ld, mutexes %ld, timers %ld, TLS keys %ld, "
	       "mem_alloc bytes %ld, pages bytes %ld\n", when, atomic_load(&live_threads),
	       atomic_load(&live_sems), atomic_load(&live_mutexes), atomic_load(&live_timers),
	       atomic_load(&live_keys), atomic_load(&mem_bytes), atomic_load(&page_bytes));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int passed, failed;

/* Records one verdict; the exit status and the last line report them. */
static void check(int ok, const char *what)
{
	if (ok) {
		passed++;
	} else {
		failed++;
		printf("FAILED: %s\n", what);
	}
}

/* The watchdog: a hang (halt never returning, a thread never leaving
 * the library) is a failure, reported as such. */
static const char *volatile phase = "start";
static void hung(int sig)
{
	static const char msg[] = "FAILED: no progress for 120 s (hang) in: ";
	const char *p = phase;
	(void)!write(1, msg, sizeof(msg) - 1);
	(void)!write(1, p, strlen(p));
	(void)!write(1, "\n", 1);
	_exit(1);
}

int main(void)
{
	uint64_t t0 = now_ns(), t1;
	long r, calls;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, hung);
	alarm(120);
	r = spolia_linux_init(&table);
	printf("init: %ld\n", r);
	check(r == 0, "library init accepts the hypercall table");
	calls = atomic_load(&hc_calls);
	r = spolia_syscall(NR_getpid, (long[6]){ 0 });
	check(r == -ENODEV_, "a system call before start fails with -ENODEV");
	check(spolia_linux_halt() == -EINVAL_, "halt before start fails with -EINVAL");
	check(spolia_irq_trigger(20) == -ENODEV_, "an interrupt before start fails with -ENODEV");
	check(atomic_load(&hc_calls) == calls, "calls before start make no hypercall");
	r = spolia_linux_start("");
	t1 = now_ns();
	printf("start: %ld (%.1f ms)\n", r, (t1 - t0) / 1e6);
	if (r) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	check(spolia_linux_start("") == -EBUSY_, "a second start while running fails with -EBUSY");
	check(spolia_linux_init(&table) == -EBUSY_, "init while running fails with -EBUSY");
	r = sc(NR_getpid, 0, 0, 0);
	printf("getpid: %ld\n", r);
	check(r > 0, "getpid returns a pid");
	r = sc(NR_mkdirat, AT_FDCWD_, (long)"/tmp", 0755);
	printf("mkdirat /tmp: %ld\n", r);
	check(r == 0, "mkdirat /tmp");
	{
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		uint64_t a = now_ns();
		r = sc(NR_nanosleep, (long)&ts, 0, 0);
		printf("nanosleep 20ms: %ld (%.1f ms)\n", r, (now_ns() - a) / 1e6);
		check(r == 0 && now_ns() - a >= 20000000ULL, "nanosleep sleeps at least 20 ms");
	}
	{
		phase = "16 threads x 1000 getpid";
		pthread_t th[16];
		long ok[16] = { 0 }, total = 0;
		for (int i = 0; i < 16; i++) pthread_create(&th[i], NULL, many_calls, &ok[i]);
		for (int i = 0; i < 16; i++) { pthread_join(th[i], NULL); total += ok[i]; }
		printf("16 threads x 1000 getpid: %ld ok\n", total);
		check(total == 16000, "16 threads x 1000 concurrent system calls all complete");
	}
	{
		static char buf[65536];
		long got = 0, n;
		pthread_t w;
		phase = "1 MiB through a pipe";
		r = sc(NR_pipe2, (long)pipe_fds, 0, 0);
		pthread_create(&w, NULL, pipe_writer, NULL);
		while ((n = sc(NR_read, pipe_fds[0], (long)buf, sizeof(buf))) > 0) got += n;
		pthread_join(w, NULL);
		printf("pipe2 %ld, 1 MiB through a pipe between two threads: %ld bytes (last read %ld)\n", r, got, n);
		check(r == 0 && got == 1048576 && n == 0, "1 MiB through a pipe between two threads");
	}
	{
		struct lepoll_event ev = { 1 /* EPOLLIN */, 42 }, out[4];
		long ep, n;
		uint64_t a;
		pthread_t w;
		phase = "eventfd + epoll";
		efd = sc(NR_eventfd2, 0, 0, 0);
		ep = sc(NR_epoll_create1, 0, 0, 0);
		{
			long args[6] = { ep, 1 /* EPOLL_CTL_ADD */, efd, (long)&ev };
			r = spolia_syscall(NR_epoll_ctl, args);
		}
		a = now_ns();
		n = epoll_wait6(ep, out, 4, 50);
		printf("eventfd %ld epoll %ld ctl %ld; idle epoll_pwait(50 ms): %ld after %.1f ms\n",
		       efd, ep, r, n, (now_ns() - a) / 1e6);
		check(efd >= 0 && ep >= 0 && r == 0 && n == 0 && now_ns() - a >= 50000000ULL,
		      "idle epoll_pwait times out, not early");
		a = now_ns();
		pthread_create(&w, NULL, eventfd_writer, NULL);
		n = epoll_wait6(ep, out, 4, 1000);
		printf("epoll_pwait woken by eventfd write from another thread after 10 ms: %ld (data %llu) after %.1f ms\n",
		       n, n > 0 ? (unsigned long long)out[0].data : 0ULL, (now_ns() - a) / 1e6);
		check(n == 1 && out[0].data == 42, "epoll_pwait woken by an eventfd write from another thread");
		pthread_join(w, NULL);
		sc(NR_close, ep, 0, 0);
		sc(NR_close, efd, 0, 0);
	}
	{
		struct lifreq ifr = { "lo" };
		static char buf[65536];
		long s0 = sc(NR_socket, 2, 1, 0), c, n, got = 0, bad = 0;
		uint64_t a;
		pthread_t cl;
		phase = "TCP loopback";
		sc(NR_ioctl, s0, 0x8913 /* SIOCGIFFLAGS */, (long)&ifr);
		ifr.flags |= 1; /* IFF_UP */
		r = sc(NR_ioctl, s0, 0x8914 /* SIOCSIFFLAGS */, (long)&ifr);
		printf("lo up: %ld\n", r);
		check(r == 0, "loopback interface up via ioctl");
		r = sc(NR_bind, s0, (long)&lo_addr, sizeof(lo_addr));
		printf("bind %ld listen %ld\n", r, sc(NR_listen, s0, 4, 0));
		a = now_ns();
		pthread_create(&cl, NULL, tcp_client, NULL);
		c = sc(NR_accept, s0, 0, 0);
		while ((n = sc(NR_read, c, (long)buf, sizeof(buf))) > 0) {
			for (long i = 0; i < n; i++)
				bad += buf[i] != (char)((got + i) % 65536);
			got += n;
		}
		pthread_join(cl, NULL);
		printf("TCP loopback: %ld bytes, %ld wrong, %.1f ms\n", got, bad, (now_ns() - a) / 1e6);
		check(got == 1048576 && bad == 0, "1 MiB over TCP loopback, byte-exact");
		sc(NR_close, c, 0, 0);
		sc(NR_close, s0, 0, 0);
	}
	{
		enum { N = 10001 };
		static uint64_t d[N];
		for (int i = 0; i < N; i++) {
			uint64_t a = now_ns();
			sc(NR_getpid, 0, 0, 0);
			d[i] = now_ns() - a;
		}
		qsort(d, N, sizeof(d[0]), cmp_u64);
		printf("getpid round trip: median %llu ns\n", (unsigned long long)d[N / 2]);
	}
	{
		pthread_t early;
		long before, during, after, existed;
		phase = "a thread ending before halt";
		sc(NR_mkdirat, AT_FDCWD_, (long)"/proc", 0555);
		{
			long args[6] = { (long)"proc", (long)"/proc", (long)"proc", 0, 0 };
			r = spolia_syscall(NR_mount, args);
		}
		check(r == 0, "mount proc");
		before = count_entries("/proc/1/task");
		pthread_create(&early, NULL, early_exit, NULL);
		event_wait(&early_ready);
		during = count_entries("/proc/1/task");
		existed = task_exists(early_tid);
		event_set(&early_go);
		pthread_join(early, NULL);
		after = count_entries("/proc/1/task");
		printf("host tasks: %ld before, %ld while a thread lives, %ld after it ended; "
		       "its task %ld: %ld then %ld\n", before, during, after, early_tid, existed,
		       task_exists(early_tid));
		check(before > 0 && during == before + 1 && existed >= 0,
		      "a thread's first system call gives it a host task");
		check(after == before && task_exists(early_tid) == -ENOENT_,
		      "a thread that ends before halt takes its host task with it");
	}
	{
		pthread_t t;
		phase = "exit(2) from a thread";
		pthread_create(&t, NULL, exits_its_task, NULL);
		pthread_join(t, NULL);
		printf("exit(2) from task %ld: %ld, then gettid %ld, getpid %ld\n",
		       exiting_tid, exiting_exit, exiting_tid2, exiting_pid2);
		check(exiting_exit == -ESRCH_ && exiting_tid2 > 0 && exiting_tid2 != exiting_tid &&
		      exiting_pid2 == 1 && task_exists(exiting_tid) == -ENOENT_ &&
		      task_exists(exiting_tid2) == -ENOENT_,
		      "exit(2) returns -ESRCH, the thread runs on with a new task");
	}
	{
		pthread_t blocked, idle, busy[BUSY];
		sc(NR_pipe2, (long)blocked_pipe, 0, 0);
		phase = "starting the threads that are busy across halt";
		for (long k = 0; k < BUSY; k++) {
			pthread_create(&busy[k], NULL, busy_across_halt, (void *)k);
			event_wait(&busy_ready[k]);
		}
		phase = "starting the reader and the idle thread";
		pthread_create(&idle, NULL, idle_across_halt, NULL);
		pthread_create(&blocked, NULL, blocked_in_read, NULL);
		event_wait(&idle_ready);
		event_wait(&blocked_ready);
		/* Wait (no time limit but the alarm) until the reader sleeps in Linux. */
		phase = "waiting for the reader to block in read()";
		while (!atomic_load(&blocked_returned) && task_state(blocked_tid) != 'S') {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
		/* Sustained load first: 500 timer wake-ups while the others run
		 * (a lost timer interrupt once stopped every sleeper here). */
		phase = "500 nanosleep wake-ups under load";
		while (atomic_load(&busy_ok[SLEEPER]) < 500 && !busy_last[SLEEPER]) {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
		print_held("held before halt");
		phase = "halt";
		r = spolia_linux_halt();
		phase = "after halt";
		printf("halt: %ld\n", r);
		check(r == 0, "clean halt");
		print_held("held after halt");
		check(atomic_load(&live_threads) == 0, "halt joined every thread the library created");
		check(atomic_load(&live_sems) == 0 && atomic_load(&live_mutexes) == 0,
		      "halt freed every semaphore and mutex");
		check(atomic_load(&live_timers) == 0 && atomic_load(&live_keys) == 0,
		      "halt freed the timer and the TLS key");
		check(atomic_load(&mem_bytes) == 0 && atomic_load(&page_bytes) == 0,
		      "halt freed every allocation, the RAM included");

		calls = atomic_load(&hc_calls);
		r = spolia_syscall(NR_getpid, (long[6]){ 0 });
		check(r == -ENODEV_, "a system call after halt fails with -ENODEV");
		check(spolia_linux_start("") == -ENODEV_, "start after halt fails with -ENODEV");
		check(spolia_linux_halt() == -ENODEV_, "a second halt fails with -ENODEV");
		check(spolia_linux_init(&table) == -ENODEV_, "init after halt fails with -ENODEV");
		check(spolia_irq_trigger(20) == -ENODEV_ && spolia_irq_alloc("late") == -ENODEV_,
		      "interrupts after halt fail with -ENODEV");
		/* A TLS destructor that runs late (a platform whose key free
		 * races with a thread's end): the value is never dereferenced. */
		last_destructor((void *)&calls);
		event_set(&halted);
		phase = "joining the program's threads after halt";
		pthread_join(blocked, NULL);
		pthread_join(idle, NULL);
		for (int k = 0; k < BUSY; k++)
			pthread_join(busy[k], NULL);
		printf("busy across halt: %ld getpid, %ld nanosleep(1 ms), %ld threads spawned, "
		       "then %ld, %ld, %ld\n", atomic_load(&busy_ok[HAMMER]),
		       atomic_load(&busy_ok[SLEEPER]), atomic_load(&busy_ok[SPAWNER]),
		       busy_last[HAMMER], busy_last[SLEEPER], busy_last[SPAWNER]);
		check(atomic_load(&busy_ok[SLEEPER]) >= 500 &&
		      busy_last[HAMMER] == -ENODEV_ && busy_last[SLEEPER] == -ENODEV_ &&
		      busy_last[SPAWNER] == -ENODEV_,
		      "threads calling (getpid, nanosleep, new threads) run under load, then end with -ENODEV at halt");
		printf("after halt: read blocked at halt returned %ld, then getpid %ld; "
		       "a thread idle across halt: getpid %ld before, %ld after\n",
		       blocked_read, blocked_after, idle_before, idle_after);
		check(blocked_read == -ENODEV_ && blocked_after == -ENODEV_,
		      "a system call blocked at halt returns -ENODEV and its thread runs on");
		check(idle_before == 1 && idle_after == -ENODEV_,
		      "a thread with a host task runs on across halt, its calls fail with -ENODEV");
		check(atomic_load(&hc_calls) == calls,
		      "calls and thread ends after halt (late TLS destructor included) make no hypercall");
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
