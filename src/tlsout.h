#ifndef PLANYARD_TLSOUT_H
#define PLANYARD_TLSOUT_H

#include <stdbool.h>
#include <stddef.h>

/* The way out of one TLS connection: GnuTLS's records go to the socket through here, so that
 * an answer's head and its body leave in one sendmsg (libmicrohttpd 0.9.75 hands GnuTLS the
 * head and the body apart, and GnuTLS's own push sends each record at once: two system calls,
 * two loopback segments, two wake-ups of the client per answer).
 *
 * tls_out_arm, when the answer's body is in memory and follows its head: the next record is
 * kept (copied, at most TLS_OUT_HOLD bytes) instead of sent, and leaves in front of the record
 * after it. Nothing is kept otherwise, so every record is sent, in order, no later than the
 * push of the record that follows it. */
#define TLS_OUT_HOLD 4096

struct tls_out {
	int fd;
	bool armed;
	size_t held_off, held_len;
	unsigned char held[TLS_OUT_HOLD];
};

/* Sends session's records (a gnutls_session_t) to fd through out, which must outlive the
 * session's last send; reading is left as it was. */
void tls_out_install(void *session, struct tls_out *out, int fd);

/* The next record is held until the one after it (see above). */
void tls_out_arm(struct tls_out *out);

#endif
