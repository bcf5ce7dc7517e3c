/* A self-signed certificate for `planyard dev` (localhost, 127.0.0.1, ::1). */
#ifndef PLANYARD_TLSGEN_H
#define PLANYARD_TLSGEN_H

#include "common.h"

/* Writes an ECDSA P-256 key (mode 0600) and a certificate valid 825 days to the paths.
 * 0, or -1 with one line in err. */
int tlsgen_self_signed(const char *cert_path, const char *key_path, char *err, size_t errlen) WUR;

#endif
