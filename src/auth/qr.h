/* QR codes for TOTP enrolment: the otpauth URI drawn as a small SVG (one path of dark
 * modules, a four-module quiet zone, a viewBox, nothing active) with libqrencode. */
#ifndef PLANYARD_AUTH_QR_H
#define PLANYARD_AUTH_QR_H

#include "../common.h"

/* The SVG of text as a QR code (error correction M). Returns a malloc'd NUL-terminated
 * string the caller frees, or NULL when the text does not fit a QR code or memory runs out. */
char *qr_svg(const char *text);

#endif
