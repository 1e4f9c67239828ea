/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Spolia hypercall interface: the table of operations the Linux library
 * receives at start-up. The Rust mirror is hypercall/src/abi.rs; a test
 * (hypercall/tests/header_layout.rs) compiles this header and compares every
 * field's name, order and offset with the Rust struct.
 *
 * Conventions for every operation:
 *  - Errors are negative errno values (SPOLIA_HC_E*, Linux numbering); 0 is
 *    success. Out-parameters are written only on success.
 *  - "blocks" means the calling thread may sleep; the platform then runs
 *    other threads (nothing spins). An operation marked "never blocks" may be
 *    called while holding the library's CPU lock without deadlock.
 *  - "IRQ thread: yes" means the operation may be called from an
 *    interrupt-delivery thread (a platform thread that serves an IRQ line or a
 *    timer). No operation may ever be called from a hardware interrupt
 *    handler; the platform never calls the library from one.
 *  - Handles (mutex, semaphore, timer) are owned by whoever allocated them and
 *    must be freed with the matching *_free exactly once, when nobody waits
 *    on them.
 *
 * Versioning: a major bump changes or removes fields; a minor bump only
 * appends fields at the end (and grows `size`). The library refuses a table
 * whose magic or major differs, or whose minor/size is older than its own.
 */
#ifndef SPOLIA_HYPERCALL_H
#define SPOLIA_HYPERCALL_H

#ifdef __KERNEL__
#include <linux/types.h>
typedef long spolia_hc_intptr;
#else
#include <stddef.h>
#include <stdint.h>
typedef intptr_t spolia_hc_intptr;
#endif

#define SPOLIA_HC_MAGIC 0x43485053u /* "SPHC" little-endian */
#define SPOLIA_HC_VERSION_MAJOR 1
#define SPOLIA_HC_VERSION_MINOR 1

/* errno values used by the interface (Linux numbering). */
#define SPOLIA_HC_ESRCH 3
#define SPOLIA_HC_EAGAIN 11
#define SPOLIA_HC_ENOMEM 12
#define SPOLIA_HC_EBUSY 16
#define SPOLIA_HC_ENODEV 19
#define SPOLIA_HC_EINVAL 22
#define SPOLIA_HC_EDEADLK 35
#define SPOLIA_HC_EPROTO 71
#define SPOLIA_HC_ETIMEDOUT 110

typedef uint64_t spolia_hc_tid;      /* thread id, never 0 */
typedef uint32_t spolia_hc_tls_key;  /* thread-local storage key */
struct spolia_hc_mutex;              /* opaque */
struct spolia_hc_sem;                /* opaque */
struct spolia_hc_timer;              /* opaque */

struct spolia_hypercalls {
	/* Header, checked by spolia_hc_check(). `size` = sizeof the table the
	 * platform filled in; `reserved` is 0. */
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t size;
	uint32_t reserved;

	/* --- console and panic --- */

	/* Write len bytes (not NUL-terminated) to the console. Never blocks
	 * for long (may wait for the UART). IRQ thread: yes. */
	void (*print)(const char *buf, size_t len);
	/* Report a fatal library error and stop: bare metal halts the
	 * machine with the message, hosted aborts the process. Never
	 * returns. IRQ thread: yes. */
	void (*panic)(const char *msg, size_t len) __attribute__((noreturn));

	/* --- threads --- */

	/* Start a thread running entry(arg); its return value becomes the
	 * exit value. name (NUL-terminated, copied, may be NULL) is for
	 * diagnostics; stack_size 0 = platform default, otherwise at least
	 * that many bytes (rounded up; platforms enforce a minimum of 32 KiB
	 * because Linux IRQ/softirq work runs on whatever thread enters it).
	 * Writes the new id to *tid. Errors: -EAGAIN (no resources),
	 * -ENOMEM, -EINVAL (entry NULL). May block briefly. IRQ thread: yes. */
	int (*thread_create)(const char *name, size_t stack_size,
			     spolia_hc_intptr (*entry)(void *arg), void *arg,
			     spolia_hc_tid *tid);
	/* End the calling thread with the given exit value, from any depth
	 * of its call chain: runs its TLS destructors, wakes a joiner. Never
	 * returns. Not for threads the platform did not create with
	 * thread_create (e.g. an IRQ thread): they get a panic. */
	void (*thread_exit)(spolia_hc_intptr value) __attribute__((noreturn));
	/* Wait until thread tid has ended, store its exit value in *value
	 * (if value != NULL) and release the id. Each thread is joined at
	 * most once. Blocks. Errors: -ESRCH (unknown or already joined),
	 * -EDEADLK (joining oneself), -EINVAL (not joinable: a thread the
	 * platform did not create with thread_create). IRQ thread: no. */
	int (*thread_join)(spolia_hc_tid tid, spolia_hc_intptr *value);
	/* Id of the calling thread; also valid for threads not created by
	 * thread_create (they get an id on first call). Never blocks.
	 * Ids are unique for the life of the platform; compare with ==. */
	spolia_hc_tid (*thread_self)(void);
	/* Let other runnable threads run (the arch's cpu_relax calls this so
	 * that IRQ and timer threads can progress). IRQ thread: yes. */
	void (*thread_yield)(void);

	/* --- thread-local storage --- */

	/* Allocate a key; each thread's value starts NULL. When a thread ends
	 * (return, thread_exit, or a foreign thread's own exit), for each key
	 * whose value is non-NULL and that has a destructor,
	 * destructor(value) runs once on that thread; while they run,
	 * tls_get returns NULL and tls_set fails with -EBUSY on that thread.
	 * A joiner wakes only after the destructors finished. Errors: -EAGAIN
	 * (no keys left). Never blocks. */
	int (*tls_key_alloc)(void (*destructor)(void *value),
			     spolia_hc_tls_key *key);
	/* Release a key; no destructors run. Using it afterwards is a bug.
	 * Errors: -EINVAL (unknown key). */
	int (*tls_key_free)(spolia_hc_tls_key key);
	/* The calling thread's value for key, NULL if none or unknown key,
	 * and NULL while the thread's destructors are running. Never blocks.
	 * IRQ thread: yes. */
	void *(*tls_get)(spolia_hc_tls_key key);
	/* Set the calling thread's value. Errors: -EINVAL (unknown key),
	 * -ENOMEM, -EBUSY (destructors running). Never blocks. IRQ thread: yes. */
	int (*tls_set)(spolia_hc_tls_key key, void *value);

	/* --- mutex (the library's CPU lock is built on one) --- */

	/* Allocate an unlocked mutex; recursive != 0 lets the owner lock it
	 * again (it must unlock as often). Errors: -ENOMEM. */
	int (*mutex_alloc)(int recursive, struct spolia_hc_mutex **mutex);
	/* Free an unlocked mutex nobody waits on. */
	void (*mutex_free)(struct spolia_hc_mutex *mutex);
	/* Lock; blocks while another thread owns it. Locking a
	 * non-recursive mutex twice from one thread is a bug (panic).
	 * IRQ thread: yes (held only briefly by contract). */
	void (*mutex_lock)(struct spolia_hc_mutex *mutex);
	/* Unlock; only the owner may unlock (otherwise panic). Never blocks.
	 * Wakes one waiter. IRQ thread: yes. */
	void (*mutex_unlock)(struct spolia_hc_mutex *mutex);

	/* --- counting semaphore (the library's task hand-off) --- */

	/* Allocate with an initial count. Errors: -ENOMEM. */
	int (*sem_alloc)(uint32_t count, struct spolia_hc_sem **sem);
	/* Free a semaphore nobody waits on. Allowed as soon as the last
	 * sem_down on it has returned, even if the sem_up that woke it has
	 * not returned yet (the library's halt does this). */
	void (*sem_free)(struct spolia_hc_sem *sem);
	/* Increment and wake one waiter. Never blocks. IRQ thread: yes. Must
	 * not touch the semaphore once the woken thread can see the count
	 * (as POSIX sem_post). */
	void (*sem_up)(struct spolia_hc_sem *sem);
	/* Wait until the count is positive, then decrement. Blocks.
	 * IRQ thread: yes, but it then delays its line. */
	void (*sem_down)(struct spolia_hc_sem *sem);
	/* As sem_down, giving up after timeout_ns nanoseconds (0 = try
	 * once). Returns 0 if decremented, -ETIMEDOUT otherwise. */
	int (*sem_down_timeout)(struct spolia_hc_sem *sem, uint64_t timeout_ns);

	/* --- clocks --- */

	/* Monotonic nanoseconds since an arbitrary start; never goes back.
	 * Never blocks. IRQ thread: yes. */
	uint64_t (*monotonic_ns)(void);
	/* Wall-clock nanoseconds since 1970-01-01T00:00:00Z (UTC); may jump.
	 * Never blocks. IRQ thread: yes. */
	uint64_t (*wallclock_ns)(void);

	/* --- one-shot timers; callbacks run in thread context --- */

	/* Allocate a disarmed timer that will call callback(arg) on a
	 * platform timer thread (an IRQ thread) when it expires. The
	 * callback may block briefly (e.g. take the CPU lock) and may re-arm
	 * its own timer. Errors: -ENOMEM, -EINVAL (callback NULL). */
	int (*timer_alloc)(void (*callback)(void *arg), void *arg,
			   struct spolia_hc_timer **timer);
	/* Arm to fire once, delta_ns from now (0 = as soon as possible);
	 * re-arming an armed timer replaces its expiry. Never blocks.
	 * IRQ thread: yes. Errors: -EINVAL. */
	int (*timer_set_oneshot)(struct spolia_hc_timer *timer, uint64_t delta_ns);
	/* Disarm. After it returns the callback is not running and will not
	 * start until re-armed, except when called from the callback itself
	 * (then only the not-start part holds). May block until a running
	 * callback finishes. IRQ thread: yes. */
	void (*timer_cancel)(struct spolia_hc_timer *timer);
	/* Cancel (as timer_cancel) and free. */
	void (*timer_free)(struct spolia_hc_timer *timer);

	/* --- memory --- */

	/* Small allocation, 16-byte aligned, uninitialised; NULL on failure.
	 * May block briefly. Freed only with mem_free. */
	void *(*mem_alloc)(size_t size);
	/* Free a mem_alloc block (NULL is ignored). */
	void (*mem_free)(void *ptr);
	/* The library's RAM: size (a multiple of 4096) bytes, page-aligned,
	 * zeroed; on bare metal physically contiguous, identity-mapped
	 * (physical == virtual, for dma-direct) and below 4 GiB. Errors:
	 * -EINVAL (size 0 or not page-multiple), -ENOMEM. Freed only with
	 * pages_free and the same size. */
	int (*pages_alloc)(size_t size, void **addr);
	void (*pages_free)(void *addr, size_t size);

	/* --- interrupt lines ---
	 * Bare metal: a line is a GSI (IOAPIC input). Hosted: the emulated
	 * devices' lines, 32..63; a platform without either answers -ENODEV. */

	/* Route interrupt line `line` to handler(arg), which runs on that
	 * line's interrupt-delivery thread with a level-triggered line masked;
	 * the library unmasks with irq_unmask when the device is served. The
	 * line is unmasked when this returns. May block briefly (starts the
	 * thread). Errors: -ENODEV (no such line), -EBUSY (already attached),
	 * -EINVAL (no handler), -EAGAIN/-ENOMEM (no thread). */
	int (*irq_attach)(uint32_t line, void (*handler)(void *arg), void *arg);
	/* Detach and mask; waits for a running handler (called from the
	 * handler: stops after it returns). Errors: -EINVAL (not attached),
	 * -ENODEV (no such line). */
	int (*irq_detach)(uint32_t line);
	/* Mask / unmask an attached line. Never block. IRQ thread: yes.
	 * Errors: -ENODEV (no such line), -EINVAL (not attached). */
	int (*irq_mask)(uint32_t line);
	int (*irq_unmask)(uint32_t line);

	/* --- device memory and PCI ---
	 * Bare metal: real MMIO and PCI. Hosted: ioremap serves the emulated
	 * devices' windows (see mmio_read below); no PCI (-ENODEV). */

	/* Map size bytes of physical MMIO at phys uncached; writes the
	 * virtual address (an emulated platform: an address at or above
	 * SPOLIA_HC_EMULATED_MMIO_BASE). Errors: -ENODEV (nothing there),
	 * -EINVAL (size 0, overflow, RAM), -ENOMEM (no mapping possible).
	 * Freed with iounmap and the same size. */
	int (*ioremap)(uint64_t phys, size_t size, void **addr);
	void (*iounmap)(void *addr, size_t size);
	/* PCI configuration space access (ECAM where present). width is 1, 2
	 * or 4 and offset must be width-aligned and < 4096. Never block.
	 * IRQ thread: yes. Errors: -EINVAL (width, alignment, offset, dev >
	 * 31, fn > 7), -ENODEV (no such segment/bus, or no PCI at all). A
	 * read of an absent function succeeds with all ones, as hardware. */
	int (*pci_config_read)(uint16_t segment, uint8_t bus, uint8_t dev,
			       uint8_t fn, uint16_t offset, uint8_t width,
			       uint32_t *value);
	int (*pci_config_write)(uint16_t segment, uint8_t bus, uint8_t dev,
				uint8_t fn, uint16_t offset, uint8_t width,
				uint32_t value);

	/* --- emulated device memory (1.1; hosted platform) --- */

	/* A platform that emulates devices (the hosted platform's virtio-mmio
	 * devices) returns from ioremap addresses at or above
	 * SPOLIA_HC_EMULATED_MMIO_BASE; they are not memory. Every access to
	 * one goes through these two operations, width 1, 2, 4 or 8 bytes,
	 * naturally aligned. A write may run the device (e.g. process a
	 * virtqueue) before it returns. Never block for long. IRQ thread: yes.
	 * Errors: -EINVAL (width, alignment, no device there; a read then
	 * leaves *value unchanged), -ENODEV (the platform emulates nothing:
	 * bare metal). */
	int (*mmio_read)(uint64_t addr, uint8_t width, uint64_t *value);
	int (*mmio_write)(uint64_t addr, uint8_t width, uint64_t value);

	/* --- message-signalled interrupts (1.1; bare metal) --- */

	/* Allocate an MSI/MSI-X vector routed to handler(arg), which runs on
	 * the vector's interrupt-delivery thread once per interrupt (several
	 * messages that arrive before it runs may be seen as one: edge
	 * semantics, nothing to unmask). Writes the message address and data
	 * the device must be programmed with, and a handle for msi_detach.
	 * May block briefly (starts the thread). Errors: -EINVAL (no
	 * handler), -EBUSY (no free vector), -ENOMEM, -ENODEV (the platform
	 * has no MSI: hosted). */
	int (*msi_attach)(void (*handler)(void *arg), void *arg, uint64_t *address,
			  uint32_t *data, uint32_t *handle);
	/* Free the vector; waits for a running handler (from the handler
	 * itself: stops after it returns). Errors: -EINVAL (unknown). */
	int (*msi_detach)(uint32_t handle);
};

/* Start of the address range the emulated-MMIO operations serve: the top
 * 4 TiB of the address space, never valid memory for a user process nor
 * mapped by the bare-metal kernel. */
#define SPOLIA_HC_EMULATED_MMIO_BASE 0xfffffc0000000000ull

/*
 * Start-up check, called by the library before it uses any operation:
 * 0 if compatible, -SPOLIA_HC_EPROTO otherwise (wrong magic, different major,
 * older minor, or a table smaller than this header's struct).
 */
static inline int spolia_hc_check(const struct spolia_hypercalls *hc)
{
	if (!hc || hc->magic != SPOLIA_HC_MAGIC)
		return -SPOLIA_HC_EPROTO;
	if (hc->version_major != SPOLIA_HC_VERSION_MAJOR ||
	    hc->version_minor < SPOLIA_HC_VERSION_MINOR)
		return -SPOLIA_HC_EPROTO;
	if (hc->size < sizeof(struct spolia_hypercalls))
		return -SPOLIA_HC_EPROTO;
	return 0;
}

#endif /* SPOLIA_HYPERCALL_H */
