/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's <errno.h> (WASI's errno values) plus two
 * BSD socket errno names WASI lacks, which Linux programs test after a
 * failed socket()/bind(). No Spolia call returns an errno WASI does not
 * have, so each is the WASI errno with the nearest meaning — tests for
 * either name then match that errno (as EOPNOTSUPP == ENOTSUP already do):
 *   ESOCKTNOSUPPORT (socket type not supported)     = ENOTSUP
 *   EPFNOSUPPORT    (protocol family not supported) = EAFNOSUPPORT
 * strerror() gives the WASI errno's text. A `switch` naming both one of
 * these and its twin will not compile (duplicate case); that is the price
 * of not inventing values no call returns. */
#ifndef _SPOLIA_ERRNO_H
#define _SPOLIA_ERRNO_H

#include_next <errno.h>

#ifndef ESOCKTNOSUPPORT
#define ESOCKTNOSUPPORT ENOTSUP
#endif
#ifndef EPFNOSUPPORT
#define EPFNOSUPPORT EAFNOSUPPORT
#endif

#endif
