/* A fixed pool of threads for CPU-heavy work (bcrypt, PBKDF2), so that hashing never
 * blocks the HTTP workers: a request hands its job here and is resumed when it is done.
 * The threads run at a lower CPU priority (nice 10), so a storm of sign-ins queues here
 * instead of slowing every other request. */
#ifndef PLANYARD_WORKPOOL_H
#define PLANYARD_WORKPOOL_H

#include "common.h"

void workpool_start(int threads);

/* Queues fn(arg); -1 when the queue is full (the caller answers 503). */
int workpool_submit(void (*fn)(void *), void *arg) WUR;

#endif
