/* Access-token parsing (jwt_verify): any text as the bearer token. Contracts: a token it
 * accepts has typ "access", an integer exp after now, an iat not after now + 60 and every
 * JWT_STRING_CLAIMS; and a
 * token the server signs from the input's claims verifies exactly when those claims are
 * valid; jwt_verify_access accepts exactly the tokens jwt_verify accepts, with the same
 * claims. Input: the token, or after a first line "claims", a JSON object to sign. */
#include <jansson.h>

#include "auth/jwt.h"
#include "fuzz.h"

static const char key[] = "fuzz-key-of-at-least-thirty-two-bytes!!";
#define NOW 1800000000

static void accepted(json_t *claims)
{
	CHECK(json_is_object(claims));
	CHECK(json_is_string(json_object_get(claims, "typ")));
	CHECK(strcmp(json_string_value(json_object_get(claims, "typ")), "access") == 0);
	json_t *exp = json_object_get(claims, "exp"), *iat = json_object_get(claims, "iat");
	CHECK(json_is_integer(exp) && json_integer_value(exp) > NOW);
	CHECK(json_is_integer(iat) && json_integer_value(iat) <= NOW + 60);
	static const char *const need[] = JWT_STRING_CLAIMS;
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		CHECK(json_is_string(json_object_get(claims, need[i])));
}

/* jwt_verify_access against jwt_verify's answer for the same token. */
static void same_access(const char *token, const json_t *claims)
{
	struct jwt_access a;
	int rc = jwt_verify_access(key, token, NOW, &a);
	CHECK((rc == 0) == (claims != NULL));
	if (!claims)
		return;
	CHECK(strcmp(a.sub, json_string_value(json_object_get(claims, "sub"))) == 0);
	CHECK(strcmp(a.tid, json_string_value(json_object_get(claims, "tid"))) == 0);
	CHECK(strcmp(a.sid, json_string_value(json_object_get(claims, "sid"))) == 0);
	CHECK(strcmp(a.role, json_string_value(json_object_get(claims, "role"))) == 0);
	CHECK(strcmp(a.aal, json_string_value(json_object_get(claims, "aal"))) == 0);
	CHECK(strcmp(a.sk, json_string_value(json_object_get(claims, "sk"))) == 0);
	CHECK(a.imp == json_is_string(json_object_get(claims, "imp")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	if (strncmp(s, "claims\n", 7) == 0) {
		json_t *claims = json_loads(s + 7, JSON_REJECT_DUPLICATES, NULL);
		char *token = NULL;
		if (json_is_object(claims) && jwt_sign(key, claims, &token) == 0) {
			json_t *typ = json_object_get(claims, "typ"), *exp = json_object_get(claims, "exp"),
			       *iat = json_object_get(claims, "iat");
			int valid = strlen(token) <= JWT_MAX_TOKEN && json_is_string(typ) &&
				    strcmp(json_string_value(typ), "access") == 0 && json_is_integer(exp) &&
				    json_integer_value(exp) > NOW && json_is_integer(iat) && json_integer_value(iat) <= NOW + 60;
			static const char *const need[] = JWT_STRING_CLAIMS;
			for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
				valid = valid && json_is_string(json_object_get(claims, need[i]));
			json_t *back = jwt_verify(key, token, NOW);
			CHECK(!back == !valid);
			same_access(token, back);
			if (back) {
				accepted(back);
				CHECK(json_equal(back, claims));
			}
			/* another key never verifies it */
			json_t *other = jwt_verify("another-key-of-at-least-thirty-two-bytes", token, NOW);
			CHECK(other == NULL);
			json_decref(back);
			free(token);
		}
		json_decref(claims);
	} else {
		json_t *claims = jwt_verify(key, s, NOW);
		if (claims)
			accepted(claims);
		same_access(s, claims);
		json_decref(claims);
	}
	free(s);
	return 0;
}
