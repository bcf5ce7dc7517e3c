/* The payment processor's webhook signature, as Stripe defines it (the expected value was
 * computed independently, Python's hmac, for t=1700000000, payload {"id":"evt_1"}); the price
 * table of PLANYARD_STRIPE_PRICES; the ids put into the processor's URLs. */
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

static void reads_the_price_table(void **state)
{
	(void)state;
	const char *t = "starter=price_1Abc,pro-annual=price_2Def";
	char plan[48], price[256];
	assert_int_equal(stripe_prices_valid(t), 0);
	assert_int_equal(stripe_price_for(t, NULL, plan, sizeof plan, price, sizeof price), 0);
	assert_string_equal(plan, "starter");
	assert_string_equal(price, "price_1Abc");
	assert_int_equal(stripe_price_for(t, "pro-annual", plan, sizeof plan, price, sizeof price), 0);
	assert_string_equal(price, "price_2Def");
	assert_int_equal(stripe_price_for(t, "pro", plan, sizeof plan, price, sizeof price), -1);   /* a prefix is no plan */
	assert_int_equal(stripe_price_for(t, "gold", plan, sizeof plan, price, sizeof price), -1);
	json_t *names = stripe_plans_json(t);
	assert_int_equal(json_array_size(names), 2);
	assert_string_equal(json_string_value(json_array_get(names, 1)), "pro-annual");
	json_decref(names);
	names = stripe_plans_json(NULL);
	assert_int_equal(json_array_size(names), 0);
	json_decref(names);
	static const char *const bad[] = { "", "starter", "=price_1", "starter=", "starter=price_1,", ",starter=price_1",
					   "Starter=price_1", "starter=price 1", "starter=price_1&x=y", "a=b,c" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(stripe_prices_valid(bad[i]), -1);
}

static void only_plain_ids_reach_a_url(void **state)
{
	(void)state;
	assert_true(stripe_id_valid("cus_NffrFeUfNV2Hib"));
	assert_true(stripe_id_valid("in_1MtHbELkdIwHu7ixl4OzzPMv"));
	assert_false(stripe_id_valid(NULL));
	assert_false(stripe_id_valid(""));
	assert_false(stripe_id_valid("cus_1&customer=cus_2"));
	assert_false(stripe_id_valid("../v1/customers"));
	assert_false(stripe_id_valid("in_1%2F"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_the_right_signature),
		cmocka_unit_test(refuses_everything_else),
		cmocka_unit_test(reads_the_price_table),
		cmocka_unit_test(only_plain_ids_reach_a_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
