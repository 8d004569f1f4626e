/*
 * repr.h: Python's repr() of a bytes object, byte for byte.
 *
 * The classic example prints every datagram this way (b'...'), and it is
 * also what keeps received bytes off the terminal: the output holds only
 * printable ASCII.
 */
#ifndef UDPECHO_REPR_H
#define UDPECHO_REPR_H

#include <stddef.h>
#include <stdint.h>

/* Upper bound of repr_bytes() output for LEN bytes, without the NUL. */
#define REPR_MAX_LEN(len) (4 * (size_t)(len) + 3)

/* Exact length of the repr of data[0..len), without the NUL. */
size_t repr_bytes_len(const uint8_t *data, size_t len);

/*
 * Write the repr into out (cap bytes, NUL-terminated when cap > 0, cut short
 * if it does not fit).  Returns the full length, like snprintf.
 */
size_t repr_bytes(char *out, size_t cap, const uint8_t *data, size_t len);

#endif
