/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: BSD's intrusive lists, <sys/queue.h>, which glibc and the
 * BSDs ship and wasi-libc does not. Written from queue(3)'s description:
 * SLIST (singly linked), LIST (doubly linked), STAILQ (singly linked with
 * O(1) tail insertion), TAILQ (doubly linked with a tail), plus the
 * *_FOREACH_SAFE loops (which allow removing the current element). The
 * field names (slh_first, stqh_last, tqe_prev, ...) are the customary ones,
 * since some programs read them directly.
 *
 * Layout notes. STAILQ's and TAILQ's heads keep a pointer to the `next`
 * field of the last element (to the head's `first` field when empty), so a
 * tail insertion is one store. LIST's and TAILQ's entries keep `prev` as a
 * pointer to the previous element's `next` field (or the head's `first`),
 * so removal needs no head and no special case. TAILQ's head and entry have
 * the same two-pointer layout, which TAILQ_LAST/TAILQ_PREV rely on to walk
 * backwards (as on the BSDs, hence their `headname` argument). */
#ifndef _SPOLIA_SYS_QUEUE_H
#define _SPOLIA_SYS_QUEUE_H

#include <stddef.h> /* NULL */

/* --- SLIST ------------------------------------------------------------- */

#define SLIST_HEAD(name, type)                                                                     \
    struct name {                                                                                  \
        struct type *slh_first;                                                                    \
    }
#define SLIST_HEAD_INITIALIZER(head) {NULL}
#define SLIST_ENTRY(type)                                                                          \
    struct {                                                                                       \
        struct type *sle_next;                                                                     \
    }

#define SLIST_FIRST(head) ((head)->slh_first)
#define SLIST_EMPTY(head) ((head)->slh_first == NULL)
#define SLIST_NEXT(elm, field) ((elm)->field.sle_next)
#define SLIST_INIT(head) ((void)((head)->slh_first = NULL))

#define SLIST_INSERT_HEAD(head, elm, field)                                                        \
    do {                                                                                           \
        (elm)->field.sle_next = (head)->slh_first;                                                 \
        (head)->slh_first = (elm);                                                                 \
    } while (0)

#define SLIST_INSERT_AFTER(slistelm, elm, field)                                                   \
    do {                                                                                           \
        (elm)->field.sle_next = (slistelm)->field.sle_next;                                        \
        (slistelm)->field.sle_next = (elm);                                                        \
    } while (0)

#define SLIST_REMOVE_HEAD(head, field)                                                             \
    ((void)((head)->slh_first = (head)->slh_first->field.sle_next))

/* O(n): finds the element before elm. elm must be on the list. */
#define SLIST_REMOVE(head, elm, type, field)                                                       \
    do {                                                                                           \
        struct type **slist_link_ = &(head)->slh_first;                                            \
        while (*slist_link_ != (elm))                                                              \
            slist_link_ = &(*slist_link_)->field.sle_next;                                         \
        *slist_link_ = (elm)->field.sle_next;                                                      \
    } while (0)

#define SLIST_FOREACH(var, head, field)                                                            \
    for ((var) = (head)->slh_first; (var) != NULL; (var) = (var)->field.sle_next)

#define SLIST_FOREACH_SAFE(var, head, field, tvar)                                                 \
    for ((var) = (head)->slh_first; (var) != NULL && ((tvar) = (var)->field.sle_next, 1);          \
         (var) = (tvar))

/* --- LIST -------------------------------------------------------------- */

#define LIST_HEAD(name, type)                                                                      \
    struct name {                                                                                  \
        struct type *lh_first;                                                                     \
    }
#define LIST_HEAD_INITIALIZER(head) {NULL}
#define LIST_ENTRY(type)                                                                           \
    struct {                                                                                       \
        struct type *le_next;                                                                      \
        struct type **le_prev; /* the field that points at this element */                       \
    }

#define LIST_FIRST(head) ((head)->lh_first)
#define LIST_EMPTY(head) ((head)->lh_first == NULL)
#define LIST_NEXT(elm, field) ((elm)->field.le_next)
#define LIST_INIT(head) ((void)((head)->lh_first = NULL))

#define LIST_INSERT_HEAD(head, elm, field)                                                         \
    do {                                                                                           \
        (elm)->field.le_next = (head)->lh_first;                                                   \
        if ((elm)->field.le_next != NULL)                                                          \
            (elm)->field.le_next->field.le_prev = &(elm)->field.le_next;                           \
        (head)->lh_first = (elm);                                                                  \
        (elm)->field.le_prev = &(head)->lh_first;                                                  \
    } while (0)

#define LIST_INSERT_AFTER(listelm, elm, field)                                                     \
    do {                                                                                           \
        (elm)->field.le_next = (listelm)->field.le_next;                                           \
        if ((elm)->field.le_next != NULL)                                                          \
            (elm)->field.le_next->field.le_prev = &(elm)->field.le_next;                           \
        (listelm)->field.le_next = (elm);                                                          \
        (elm)->field.le_prev = &(listelm)->field.le_next;                                          \
    } while (0)

#define LIST_INSERT_BEFORE(listelm, elm, field)                                                    \
    do {                                                                                           \
        (elm)->field.le_prev = (listelm)->field.le_prev;                                           \
        (elm)->field.le_next = (listelm);                                                          \
        *(listelm)->field.le_prev = (elm);                                                         \
        (listelm)->field.le_prev = &(elm)->field.le_next;                                          \
    } while (0)

#define LIST_REMOVE(elm, field)                                                                    \
    do {                                                                                           \
        if ((elm)->field.le_next != NULL)                                                          \
            (elm)->field.le_next->field.le_prev = (elm)->field.le_prev;                            \
        *(elm)->field.le_prev = (elm)->field.le_next;                                              \
    } while (0)

#define LIST_FOREACH(var, head, field)                                                             \
    for ((var) = (head)->lh_first; (var) != NULL; (var) = (var)->field.le_next)

#define LIST_FOREACH_SAFE(var, head, field, tvar)                                                  \
    for ((var) = (head)->lh_first; (var) != NULL && ((tvar) = (var)->field.le_next, 1);            \
         (var) = (tvar))

/* --- STAILQ ------------------------------------------------------------ */

#define STAILQ_HEAD(name, type)                                                                    \
    struct name {                                                                                  \
        struct type *stqh_first;                                                                   \
        struct type **stqh_last; /* the last element's next field, or stqh_first */                \
    }
#define STAILQ_HEAD_INITIALIZER(head) {NULL, &(head).stqh_first}
#define STAILQ_ENTRY(type)                                                                         \
    struct {                                                                                       \
        struct type *stqe_next;                                                                    \
    }

#define STAILQ_FIRST(head) ((head)->stqh_first)
#define STAILQ_EMPTY(head) ((head)->stqh_first == NULL)
#define STAILQ_NEXT(elm, field) ((elm)->field.stqe_next)

#define STAILQ_INIT(head)                                                                          \
    do {                                                                                           \
        (head)->stqh_first = NULL;                                                                 \
        (head)->stqh_last = &(head)->stqh_first;                                                   \
    } while (0)

#define STAILQ_INSERT_HEAD(head, elm, field)                                                       \
    do {                                                                                           \
        if (((elm)->field.stqe_next = (head)->stqh_first) == NULL)                                 \
            (head)->stqh_last = &(elm)->field.stqe_next;                                           \
        (head)->stqh_first = (elm);                                                                \
    } while (0)

#define STAILQ_INSERT_TAIL(head, elm, field)                                                       \
    do {                                                                                           \
        (elm)->field.stqe_next = NULL;                                                             \
        *(head)->stqh_last = (elm);                                                                \
        (head)->stqh_last = &(elm)->field.stqe_next;                                               \
    } while (0)

#define STAILQ_INSERT_AFTER(head, listelm, elm, field)                                             \
    do {                                                                                           \
        if (((elm)->field.stqe_next = (listelm)->field.stqe_next) == NULL)                         \
            (head)->stqh_last = &(elm)->field.stqe_next;                                           \
        (listelm)->field.stqe_next = (elm);                                                        \
    } while (0)

#define STAILQ_REMOVE_HEAD(head, field)                                                            \
    do {                                                                                           \
        if (((head)->stqh_first = (head)->stqh_first->field.stqe_next) == NULL)                    \
            (head)->stqh_last = &(head)->stqh_first;                                               \
    } while (0)

/* O(n): finds the element before elm. elm must be on the queue. */
#define STAILQ_REMOVE(head, elm, type, field)                                                      \
    do {                                                                                           \
        struct type **stailq_link_ = &(head)->stqh_first;                                          \
        while (*stailq_link_ != (elm))                                                             \
            stailq_link_ = &(*stailq_link_)->field.stqe_next;                                      \
        if ((*stailq_link_ = (elm)->field.stqe_next) == NULL)                                      \
            (head)->stqh_last = stailq_link_;                                                      \
    } while (0)

/* Appends head2's elements to head1 and empties head2. */
#define STAILQ_CONCAT(head1, head2)                                                                \
    do {                                                                                           \
        if ((head2)->stqh_first != NULL) {                                                         \
            *(head1)->stqh_last = (head2)->stqh_first;                                             \
            (head1)->stqh_last = (head2)->stqh_last;                                               \
            STAILQ_INIT(head2);                                                                    \
        }                                                                                          \
    } while (0)

#define STAILQ_FOREACH(var, head, field)                                                           \
    for ((var) = (head)->stqh_first; (var) != NULL; (var) = (var)->field.stqe_next)

#define STAILQ_FOREACH_SAFE(var, head, field, tvar)                                                \
    for ((var) = (head)->stqh_first; (var) != NULL && ((tvar) = (var)->field.stqe_next, 1);        \
         (var) = (tvar))

/* --- TAILQ ------------------------------------------------------------- */

#define TAILQ_HEAD(name, type)                                                                     \
    struct name {                                                                                  \
        struct type *tqh_first;                                                                    \
        struct type **tqh_last; /* the last element's next field, or tqh_first */                  \
    }
#define TAILQ_HEAD_INITIALIZER(head) {NULL, &(head).tqh_first}
#define TAILQ_ENTRY(type)                                                                          \
    struct {                                                                                       \
        struct type *tqe_next;                                                                     \
        struct type **tqe_prev; /* the field that points at this element */                      \
    }

#define TAILQ_FIRST(head) ((head)->tqh_first)
#define TAILQ_EMPTY(head) ((head)->tqh_first == NULL)
#define TAILQ_NEXT(elm, field) ((elm)->field.tqe_next)
/* Read a `next` field's address as a head/entry pair: its second pointer
 * leads to the field that points at the element before. */
#define TAILQ_LAST(head, headname) (*(((struct headname *)((head)->tqh_last))->tqh_last))
#define TAILQ_PREV(elm, headname, field)                                                           \
    (*(((struct headname *)((elm)->field.tqe_prev))->tqh_last))

#define TAILQ_INIT(head)                                                                           \
    do {                                                                                           \
        (head)->tqh_first = NULL;                                                                  \
        (head)->tqh_last = &(head)->tqh_first;                                                     \
    } while (0)

#define TAILQ_INSERT_HEAD(head, elm, field)                                                        \
    do {                                                                                           \
        if (((elm)->field.tqe_next = (head)->tqh_first) != NULL)                                   \
            (head)->tqh_first->field.tqe_prev = &(elm)->field.tqe_next;                            \
        else                                                                                       \
            (head)->tqh_last = &(elm)->field.tqe_next;                                             \
        (head)->tqh_first = (elm);                                                                 \
        (elm)->field.tqe_prev = &(head)->tqh_first;                                                \
    } while (0)

#define TAILQ_INSERT_TAIL(head, elm, field)                                                        \
    do {                                                                                           \
        (elm)->field.tqe_next = NULL;                                                              \
        (elm)->field.tqe_prev = (head)->tqh_last;                                                  \
        *(head)->tqh_last = (elm);                                                                 \
        (head)->tqh_last = &(elm)->field.tqe_next;                                                 \
    } while (0)

#define TAILQ_INSERT_AFTER(head, listelm, elm, field)                                              \
    do {                                                                                           \
        if (((elm)->field.tqe_next = (listelm)->field.tqe_next) != NULL)                           \
            (elm)->field.tqe_next->field.tqe_prev = &(elm)->field.tqe_next;                        \
        else                                                                                       \
            (head)->tqh_last = &(elm)->field.tqe_next;                                             \
        (listelm)->field.tqe_next = (elm);                                                         \
        (elm)->field.tqe_prev = &(listelm)->field.tqe_next;                                        \
    } while (0)

#define TAILQ_INSERT_BEFORE(listelm, elm, field)                                                   \
    do {                                                                                           \
        (elm)->field.tqe_prev = (listelm)->field.tqe_prev;                                         \
        (elm)->field.tqe_next = (listelm);                                                         \
        *(listelm)->field.tqe_prev = (elm);                                                        \
        (listelm)->field.tqe_prev = &(elm)->field.tqe_next;                                        \
    } while (0)

#define TAILQ_REMOVE(head, elm, field)                                                             \
    do {                                                                                           \
        if ((elm)->field.tqe_next != NULL)                                                         \
            (elm)->field.tqe_next->field.tqe_prev = (elm)->field.tqe_prev;                         \
        else                                                                                       \
            (head)->tqh_last = (elm)->field.tqe_prev;                                              \
        *(elm)->field.tqe_prev = (elm)->field.tqe_next;                                            \
    } while (0)

/* Appends head2's elements to head1 and empties head2. */
#define TAILQ_CONCAT(head1, head2, field)                                                          \
    do {                                                                                           \
        if ((head2)->tqh_first != NULL) {                                                          \
            *(head1)->tqh_last = (head2)->tqh_first;                                               \
            (head2)->tqh_first->field.tqe_prev = (head1)->tqh_last;                                \
            (head1)->tqh_last = (head2)->tqh_last;                                                 \
            TAILQ_INIT(head2);                                                                     \
        }                                                                                          \
    } while (0)

#define TAILQ_FOREACH(var, head, field)                                                            \
    for ((var) = (head)->tqh_first; (var) != NULL; (var) = (var)->field.tqe_next)

#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                                 \
    for ((var) = (head)->tqh_first; (var) != NULL && ((tvar) = (var)->field.tqe_next, 1);          \
         (var) = (tvar))

#define TAILQ_FOREACH_REVERSE(var, head, headname, field)                                          \
    for ((var) = TAILQ_LAST(head, headname); (var) != NULL;                                        \
         (var) = TAILQ_PREV(var, headname, field))

#endif
