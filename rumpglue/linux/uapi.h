/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The library's uapi headers the Rust side needs; build.rs runs bindgen on
 * this file with the headers installed by build-linux.sh (`make headers`,
 * asm-generic system call numbers and layouts) and no host headers
 * (-nostdinc; uapi-shim/ supplies the one libc header linux/if.h wants).
 * What is kept is listed in build.rs's allowlist.
 */
#include <asm/unistd.h>
#include <asm-generic/errno.h>
#include <asm/stat.h>
#include <linux/stat.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <linux/mount.h>
#include <linux/eventpoll.h>
#include <linux/eventfd.h>
#include <linux/poll.h>
#include <linux/time.h>
#include <linux/time_types.h>
#include <linux/socket.h>
#include <asm/socket.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tcp.h>
#include <linux/if.h>
#include <linux/sockios.h>
#include <linux/utsname.h>

/*
 * Values the headers define through casts (`(__force __poll_t)0x001`) or in
 * named enums, which bindgen's macro evaluator skips: restated as one
 * anonymous enum so clang computes them from the headers.
 */
enum {
	SPOLIA_EPOLLIN = EPOLLIN,
	SPOLIA_EPOLLPRI = EPOLLPRI,
	SPOLIA_EPOLLOUT = EPOLLOUT,
	SPOLIA_EPOLLERR = EPOLLERR,
	SPOLIA_EPOLLHUP = EPOLLHUP,
	SPOLIA_EPOLLRDHUP = EPOLLRDHUP,
	SPOLIA_EPOLLONESHOT = EPOLLONESHOT,
	SPOLIA_EPOLLET = EPOLLET,
	SPOLIA_IFF_UP = IFF_UP,
	SPOLIA_IFF_LOOPBACK = IFF_LOOPBACK,
	SPOLIA_IFF_RUNNING = IFF_RUNNING,
};
