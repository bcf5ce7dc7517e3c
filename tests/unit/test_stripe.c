/* The payment processor's webhook signature, as Stripe defines it. The expected value was
 * computed independently (Python's hmac) for t=1700000000, payload {"id":"evt_1"}. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stripe.h"

static const char secret[] = "whsec_test_secret_0123456789";
static const char payload[] = "{\"id\":\"evt_1\"}";
#define SIG "7e9a82a20098cf01f04d9c09f5a7459669bfecf51392ce3adb1445906fceff61"

static int check(const char *header, time_t now)
{
	return stripe_verify(header, payload, strlen(payload), secret, now, 300);
}

static void accepts_the_right_signature(void **state)
{
	(void)state;
	assert_int_equal(check("t=1700000000,v1=" SIG, 1700000000), 0);
	assert_int_equal(check("t=1700000000,v1=" SIG, 1700000300), 0);            /* 5 minutes late */
	assert_int_equal(check("t=1700000000,v0=abc,v1=" SIG, 1700000000), 0);    /* v0 is ignored */
	assert_int_equal(check("t=1700000000,v1=" "0000000000000000000000000000000000000000000000000000000000000000"
			       ",v1=" SIG, 1700000000), 0);                             /* any v1 may match */
}

static void refuses_everything_else(void **state)
{
	(void)state;
	assert_int_equal(check("t=1700000000,v1=" SIG, 1700000301), -1);           /* too old */
	assert_int_equal(check("t=1700000000,v1=" SIG, 1699999699), -1);           /* from the future */
	assert_int_equal(check("t=1700000001,v1=" SIG, 1700000001), -1);           /* another time */
	assert_int_equal(check("v1=" SIG, 1700000000), -1);                        /* no time */
	assert_int_equal(check("t=1700000000", 1700000000), -1);                   /* no signature */
	assert_int_equal(check("t=1700000000,v0=" SIG, 1700000000), -1);          /* only v0 */
	assert_int_equal(check(NULL, 1700000000), -1);
	assert_int_equal(check("", 1700000000), -1);
	assert_int_equal(stripe_verify("t=1700000000,v1=" SIG, payload, strlen(payload) - 1, secret, 1700000000, 300), -1);
	assert_int_equal(stripe_verify("t=1700000000,v1=" SIG, payload, strlen(payload), "whsec_other", 1700000000, 300), -1);
	/* the secret is used whole, whsec_ included */
	assert_int_equal(stripe_verify("t=1700000000,v1=" SIG, payload, strlen(payload), secret + 6, 1700000000, 300), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_the_right_signature),
		cmocka_unit_test(refuses_everything_else),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
