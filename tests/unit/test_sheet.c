/* Unit tests of the day sheet's SMS (src/sheet.c): GSM-7 transliteration (accents dropped,
 * extension-table and foreign characters replaced or dropped, so every character is one
 * septet), the segment count (160 in one, then 153 per segment), and a sheet too long for
 * two segments cut to 306 characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sheet.h"

static const char gsm_basic[] = "@$\n\r _!\"#%&'()*+,-./0123456789:;<=>?"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void check(const char *in, const char *want)
{
	buf_t b = BUF_INIT(0);
	sheet_gsm7(&b, in);
	assert_false(b.failed);
	if (strcmp(b.data ? b.data : "", want) != 0)
		fail_msg("sheet_gsm7(%s) = [%s], want [%s]", in, b.data ? b.data : "", want);
	buf_free(&b);
}

static void test_transliteration(void **state)
{
	(void)state;
	check("Café Müller", "Cafe Muller");
	check("Ana Núñez, Łódź, Straße", "Ana Nunez, Lodz, Strasse");
	check("“tower” — ‘east’…", "\"tower\" - 'east'...");
	check("[a]{b}\\c|d^e~f`g", "(a)(b)/c/d'e-f'g");
	check("snow ☃ smile 😀 end", "snow  smile  end");
	check("tab\there", "tab here");
	check("bad \xff\xfe bytes \xc3", "bad  bytes ");
	check("20 €", "20 EUR");
}

static void test_every_output_character_is_gsm7_basic(void **state)
{
	(void)state;
	buf_t in = BUF_INIT(0);
	for (unsigned cp = 1; cp < 0x250; cp++) {
		char u[4];
		if (cp < 0x80) {
			u[0] = (char)cp, u[1] = 0;
		} else {
			u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), u[2] = 0;
		}
		buf_puts(&in, u);
	}
	buf_t out = BUF_INIT(0);
	sheet_gsm7(&out, in.data);
	for (size_t i = 0; i < out.len; i++)
		if (!strchr(gsm_basic, out.data[i]) || out.data[i] == 0)
			fail_msg("0x%02x is not in GSM-7's basic set", (unsigned char)out.data[i]);
	buf_free(&in);
	buf_free(&out);
}

static void test_segments(void **state)
{
	(void)state;
	char s[400];
	memset(s, 'a', sizeof s);
	s[160] = 0;
	assert_int_equal(sheet_sms_segments(s), 1);
	s[160] = 'a', s[161] = 0;
	assert_int_equal(sheet_sms_segments(s), 2);
	s[161] = 'a', s[306] = 0;
	assert_int_equal(sheet_sms_segments(s), 2);
	s[306] = 'a', s[307] = 0;
	assert_int_equal(sheet_sms_segments(s), 3);
	assert_int_equal(sheet_sms_segments(""), 1);
}

static void test_a_long_day_is_cut_to_two_segments(void **state)
{
	(void)state;
	json_t *items = json_array();
	for (int i = 0; i < 6; i++)
		json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s}", "pour_id", "x",
			"start_time", "07:00", "project", "Überlandstraße Parking Deck", "address", "1200 Long Road, Town",
			"mix", "4000 psi", "pump", 1, "crew", "Crew A", "foreman", "Bob", "foreman_phone", "+15551230000"));
	sheet_t sh = { "Ana", "2026-12-08", "Stone", items };
	arena_t a = { 0 };
	char *sms = sheet_sms(&a, &sh);
	assert_non_null(sms);
	assert_int_equal(strlen(sms), SHEET_SMS_MAX);
	assert_int_equal(sheet_sms_segments(sms), 2);
	assert_memory_equal(sms, "Tue 8 Dec: 07:00 Uberlandstrasse Parking Deck", 45);
	assert_string_equal(sms + SHEET_SMS_MAX - 3, "...");
	json_array_clear(items);
	json_array_append_new(items, json_pack("{s:s,s:s,s:s}", "pour_id", "x", "project", "P", "mix", "m"));
	sms = sheet_sms(&a, &sh);
	assert_string_equal(sms, "Tue 8 Dec: time TBD P. m ?cy");
	assert_int_equal(sheet_sms_segments(sms), 1);
	json_decref(items);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transliteration),
		cmocka_unit_test(test_every_output_character_is_gsm7_basic),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_a_long_day_is_cut_to_two_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
