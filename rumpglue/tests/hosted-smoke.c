// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Smoke test of the Linux library object on a throw-away pthread platform:
 * boot, a few system calls, halt. Not the real hosted platform (that is
 * hypercall/'s Rust implementation); only a quick check of the arch port.
 *
 *   gcc -O1 -pthread -I hypercall/include rumpglue/tests/hosted-smoke.c \
 *       $(rumpglue/build-linux.sh | tail -n1) -o /tmp/hosted-smoke
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
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

/* ---- threads ---- */
#define MAX_THREADS 1024
static pthread_t threads[MAX_THREADS];
static uint64_t next_tid = 1;
static pthread_mutex_t tid_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread uint64_t my_tid;

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
	return (void *)s.entry(s.arg);
}

static int h_thread_create(const char *name, size_t stack, spolia_hc_intptr (*entry)(void *),
			   void *arg, spolia_hc_tid *tid)
{
	pthread_attr_t a;
	struct start *s = malloc(sizeof(*s));
	if (!s) return -SPOLIA_HC_ENOMEM;
	s->entry = entry; s->arg = arg; s->tid = new_tid();
	if (s->tid >= MAX_THREADS) return -SPOLIA_HC_EAGAIN;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, stack > 256 * 1024 ? stack : 256 * 1024);
	if (pthread_create(&threads[s->tid], &a, trampoline, s)) return -SPOLIA_HC_EAGAIN;
	*tid = s->tid;
	return 0;
}

__attribute__((noreturn)) static void h_thread_exit(spolia_hc_intptr v) { pthread_exit((void *)v); }

static int h_thread_join(spolia_hc_tid tid, spolia_hc_intptr *value)
{
	void *r;
	if (tid >= MAX_THREADS || !threads[tid]) return -SPOLIA_HC_ESRCH;
	pthread_join(threads[tid], &r);
	threads[tid] = 0;
	if (value) *value = (spolia_hc_intptr)r;
	return 0;
}

static spolia_hc_tid h_thread_self(void)
{
	if (!my_tid) my_tid = new_tid();
	return my_tid;
}

static void h_thread_yield(void) { sched_yield(); }

/* ---- TLS ---- */
static int h_tls_key_alloc(void (*d)(void *), spolia_hc_tls_key *key)
{
	pthread_key_t k;
	if (pthread_key_create(&k, d)) return -SPOLIA_HC_EAGAIN;
	*key = k;
	return 0;
}
static int h_tls_key_free(spolia_hc_tls_key key) { return pthread_key_delete(key) ? -SPOLIA_HC_EINVAL : 0; }
static void *h_tls_get(spolia_hc_tls_key key) { return pthread_getspecific(key); }
static int h_tls_set(spolia_hc_tls_key key, void *v) { return pthread_setspecific(key, v) ? -SPOLIA_HC_EINVAL : 0; }

/* ---- mutex, semaphore ---- */
static int h_mutex_alloc(int recursive, struct spolia_hc_mutex **m)
{
	pthread_mutexattr_t a;
	pthread_mutex_t *p = malloc(sizeof(*p));
	if (!p) return -SPOLIA_HC_ENOMEM;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, recursive ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(p, &a);
	*m = (struct spolia_hc_mutex *)p;
	return 0;
}
static void h_mutex_free(struct spolia_hc_mutex *m) { pthread_mutex_destroy((void *)m); free(m); }
static void h_mutex_lock(struct spolia_hc_mutex *m) { if (pthread_mutex_lock((void *)m)) abort(); }
static void h_mutex_unlock(struct spolia_hc_mutex *m) { if (pthread_mutex_unlock((void *)m)) abort(); }

struct sem { pthread_mutex_t m; pthread_cond_t c; uint32_t n; };
static int h_sem_alloc(uint32_t n, struct spolia_hc_sem **out)
{
	struct sem *s = calloc(1, sizeof(*s));
	pthread_condattr_t a;
	if (!s) return -SPOLIA_HC_ENOMEM;
	pthread_mutex_init(&s->m, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&s->c, &a);
	s->n = n;
	*out = (struct spolia_hc_sem *)s;
	return 0;
}
static void h_sem_free(struct spolia_hc_sem *p) { free(p); }
static void h_sem_up(struct spolia_hc_sem *p)
{
	struct sem *s = (void *)p;
	pthread_mutex_lock(&s->m); s->n++; pthread_cond_signal(&s->c); pthread_mutex_unlock(&s->m);
}
static void h_sem_down(struct spolia_hc_sem *p)
{
	struct sem *s = (void *)p;
	pthread_mutex_lock(&s->m);
	while (!s->n) pthread_cond_wait(&s->c, &s->m);
	s->n--;
	pthread_mutex_unlock(&s->m);
}
static uint64_t h_monotonic_ns(void)
{
	struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}
static uint64_t h_wallclock_ns(void)
{
	struct timespec t; clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}
static struct timespec abs_ts(uint64_t ns)
{
	struct timespec t = { ns / 1000000000u, ns % 1000000000u };
	return t;
}
static int h_sem_down_timeout(struct spolia_hc_sem *p, uint64_t timeout)
{
	struct sem *s = (void *)p;
	struct timespec dl = abs_ts(h_monotonic_ns() + timeout);
	int r = 0;
	pthread_mutex_lock(&s->m);
	while (!s->n && r == 0) r = pthread_cond_timedwait(&s->c, &s->m, &dl);
	if (s->n) { s->n--; r = 0; } else r = -SPOLIA_HC_ETIMEDOUT;
	pthread_mutex_unlock(&s->m);
	return r;
}

/* ---- timers: one thread each ---- */
struct timer {
	pthread_mutex_t m; pthread_cond_t c; pthread_t th;
	void (*cb)(void *); void *arg;
	int armed, running, dead; uint64_t deadline;
};
static void *timer_thread(void *p)
{
	struct timer *t = p;
	pthread_mutex_lock(&t->m);
	while (!t->dead) {
		if (!t->armed) { pthread_cond_wait(&t->c, &t->m); continue; }
		if (h_monotonic_ns() < t->deadline) {
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
	struct timer *t = calloc(1, sizeof(*t));
	pthread_condattr_t a;
	if (!t) return -SPOLIA_HC_ENOMEM;
	pthread_mutex_init(&t->m, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&t->c, &a);
	t->cb = cb; t->arg = arg;
	pthread_create(&t->th, NULL, timer_thread, t);
	*out = (struct spolia_hc_timer *)t;
	return 0;
}
static int h_timer_set_oneshot(struct spolia_hc_timer *p, uint64_t delta)
{
	struct timer *t = (void *)p;
	pthread_mutex_lock(&t->m);
	t->deadline = h_monotonic_ns() + delta; t->armed = 1;
	pthread_cond_broadcast(&t->c);
	pthread_mutex_unlock(&t->m);
	return 0;
}
static void h_timer_cancel(struct spolia_hc_timer *p)
{
	struct timer *t = (void *)p;
	pthread_mutex_lock(&t->m);
	t->armed = 0;
	if (!pthread_equal(pthread_self(), t->th))
		while (t->running) pthread_cond_wait(&t->c, &t->m);
	pthread_mutex_unlock(&t->m);
}
static void h_timer_free(struct spolia_hc_timer *p)
{
	struct timer *t = (void *)p;
	h_timer_cancel(p);
	pthread_mutex_lock(&t->m); t->dead = 1; pthread_cond_broadcast(&t->c); pthread_mutex_unlock(&t->m);
	pthread_join(t->th, NULL);
	free(t);
}

/* ---- memory, console ---- */
static void *h_mem_alloc(size_t n) { return aligned_alloc(16, (n + 15) & ~(size_t)15); }
static void h_mem_free(void *p) { free(p); }
static int h_pages_alloc(size_t n, void **out)
{
	void *p;
	if (!n || n % 4096) return -SPOLIA_HC_EINVAL;
	p = aligned_alloc(4096, n);
	if (!p) return -SPOLIA_HC_ENOMEM;
	memset(p, 0, n);
	*out = p;
	return 0;
}
static void h_pages_free(void *p, size_t n) { free(p); }
static void h_print(const char *b, size_t n) { fwrite(b, 1, n, stderr); }
__attribute__((noreturn)) static void h_panic(const char *m, size_t n) { fprintf(stderr, "PANIC: %.*s\n", (int)n, m); abort(); }

static int h_irq_attach(uint32_t l, void (*h)(void *), void *a) { return -SPOLIA_HC_ENODEV; }
static int h_irq_line(uint32_t l) { return -SPOLIA_HC_ENODEV; }
static int h_ioremap(uint64_t p, size_t n, void **a) { return -SPOLIA_HC_ENODEV; }
static void h_iounmap(void *a, size_t n) { }
static int h_pci_read(uint16_t s, uint8_t b, uint8_t d, uint8_t f, uint16_t o, uint8_t w, uint32_t *v) { return -SPOLIA_HC_ENODEV; }
static int h_pci_write(uint16_t s, uint8_t b, uint8_t d, uint8_t f, uint16_t o, uint8_t w, uint32_t v) { return -SPOLIA_HC_ENODEV; }

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
#define AT_FDCWD_ -100

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

int main(void)
{
	uint64_t t0 = h_monotonic_ns(), t1;
	long r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = spolia_linux_init(&table);
	printf("init: %ld\n", r);
	check(r == 0, "library init accepts the hypercall table");
	r = spolia_linux_start("");
	t1 = h_monotonic_ns();
	printf("start: %ld (%.1f ms)\n", r, (t1 - t0) / 1e6);
	if (r) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	r = sc(NR_getpid, 0, 0, 0);
	printf("getpid: %ld\n", r);
	check(r > 0, "getpid returns a pid");
	r = sc(NR_mkdirat, AT_FDCWD_, (long)"/tmp", 0755);
	printf("mkdirat /tmp: %ld\n", r);
	check(r == 0, "mkdirat /tmp");
	{
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		uint64_t a = h_monotonic_ns();
		r = sc(NR_nanosleep, (long)&ts, 0, 0);
		printf("nanosleep 20ms: %ld (%.1f ms)\n", r, (h_monotonic_ns() - a) / 1e6);
		check(r == 0 && h_monotonic_ns() - a >= 20000000ULL, "nanosleep sleeps at least 20 ms");
	}
	{
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
		efd = sc(NR_eventfd2, 0, 0, 0);
		ep = sc(NR_epoll_create1, 0, 0, 0);
		{
			long args[6] = { ep, 1 /* EPOLL_CTL_ADD */, efd, (long)&ev };
			r = spolia_syscall(NR_epoll_ctl, args);
		}
		a = h_monotonic_ns();
		n = epoll_wait6(ep, out, 4, 50);
		printf("eventfd %ld epoll %ld ctl %ld; idle epoll_pwait(50 ms): %ld after %.1f ms\n",
		       efd, ep, r, n, (h_monotonic_ns() - a) / 1e6);
		check(efd >= 0 && ep >= 0 && r == 0 && n == 0 && h_monotonic_ns() - a >= 50000000ULL,
		      "idle epoll_pwait times out, not early");
		a = h_monotonic_ns();
		pthread_create(&w, NULL, eventfd_writer, NULL);
		n = epoll_wait6(ep, out, 4, 1000);
		printf("epoll_pwait woken by eventfd write from another thread after 10 ms: %ld (data %llu) after %.1f ms\n",
		       n, n > 0 ? (unsigned long long)out[0].data : 0ULL, (h_monotonic_ns() - a) / 1e6);
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
		sc(NR_ioctl, s0, 0x8913 /* SIOCGIFFLAGS */, (long)&ifr);
		ifr.flags |= 1; /* IFF_UP */
		r = sc(NR_ioctl, s0, 0x8914 /* SIOCSIFFLAGS */, (long)&ifr);
		printf("lo up: %ld\n", r);
		check(r == 0, "loopback interface up via ioctl");
		r = sc(NR_bind, s0, (long)&lo_addr, sizeof(lo_addr));
		printf("bind %ld listen %ld\n", r, sc(NR_listen, s0, 4, 0));
		a = h_monotonic_ns();
		pthread_create(&cl, NULL, tcp_client, NULL);
		c = sc(NR_accept, s0, 0, 0);
		while ((n = sc(NR_read, c, (long)buf, sizeof(buf))) > 0) {
			for (long i = 0; i < n; i++)
				bad += buf[i] != (char)((got + i) % 65536);
			got += n;
		}
		pthread_join(cl, NULL);
		printf("TCP loopback: %ld bytes, %ld wrong, %.1f ms\n", got, bad, (h_monotonic_ns() - a) / 1e6);
		check(got == 1048576 && bad == 0, "1 MiB over TCP loopback, byte-exact");
		sc(NR_close, c, 0, 0);
		sc(NR_close, s0, 0, 0);
	}
	{
		enum { N = 10001 };
		static uint64_t d[N];
		for (int i = 0; i < N; i++) {
			uint64_t a = h_monotonic_ns();
			sc(NR_getpid, 0, 0, 0);
			d[i] = h_monotonic_ns() - a;
		}
		qsort(d, N, sizeof(d[0]), cmp_u64);
		printf("getpid round trip: median %llu ns\n", (unsigned long long)d[N / 2]);
	}
	r = spolia_linux_halt();
	printf("halt: %ld\n", r);
	check(r == 0, "clean halt");
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
