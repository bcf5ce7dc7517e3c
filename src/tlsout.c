#include "tlsout.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <gnutls/gnutls.h>

#define MAX_IOV 16

static size_t iov_bytes(const giovec_t *iov, int n)
{
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}

static ssize_t send_iov(int fd, struct iovec *v, int n)
{
	struct msghdr m = { .msg_iov = v, .msg_iovlen = (size_t)n };
	ssize_t k;
	do
		k = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	return k;
}

/* GnuTLS's vector push: what GnuTLS passes is one or more whole records, or the rest of one it
 * was told was sent in part. It retries what is not taken (EAGAIN) with the same bytes. */
static ssize_t push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct tls_out *o = ptr;
	size_t total = iov_bytes(iov, iovcnt);
	if (o->armed && o->held_len == 0 && total <= sizeof o->held) {
		size_t at = 0;
		for (int i = 0; i < iovcnt; i++) {
			memcpy(o->held + at, iov[i].iov_base, iov[i].iov_len);
			at += iov[i].iov_len;
		}
		o->held_off = 0;
		o->held_len = total;
		o->armed = false;
		return (ssize_t)total;
	}
	o->armed = false;
	struct iovec v[MAX_IOV + 1];
	int n = 0;
	if (o->held_len)
		v[n++] = (struct iovec){ o->held + o->held_off, o->held_len };
	if (iovcnt > MAX_IOV)
		iovcnt = MAX_IOV;  /* the rest is retried by GnuTLS as not yet sent */
	for (int i = 0; i < iovcnt; i++)
		v[n++] = (struct iovec){ iov[i].iov_base, iov[i].iov_len };
	ssize_t k = send_iov(o->fd, v, n);
	if (k < 0 || o->held_len == 0)
		return k;
	size_t held = o->held_len;
	if ((size_t)k < held) {
		/* not even the held record went: the socket is full, its writability wakes
		 * libmicrohttpd, which sends the body again, the held rest in front */
		o->held_off += (size_t)k;
		o->held_len -= (size_t)k;
		errno = EAGAIN;
		return -1;
	}
	o->held_off = o->held_len = 0;
	if ((size_t)k == held) {
		errno = EAGAIN;
		return -1;
	}
	return k - (ssize_t)held;
}

void tls_out_install(void *session, struct tls_out *out, int fd)
{
	out->fd = fd;
	out->armed = false;
	out->held_off = out->held_len = 0;
	gnutls_session_t s = session;
	gnutls_transport_set_ptr2(s, (gnutls_transport_ptr_t)(intptr_t)fd, out);
	gnutls_transport_set_vec_push_function(s, push);
}

void tls_out_arm(struct tls_out *out)
{
	out->armed = true;
}
