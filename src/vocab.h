/* The closed sets of words the API and the database share: roles, trades, pour and reminder
 * statuses, reminder channels and subjects. The database checks the same sets (CHECK
 * constraints in sql/); tests/api/test_vocab.py compares the two, through /openapi.json,
 * which is generated from these tables. Every array is static and NULL-terminated. */
#ifndef PLANYARD_VOCAB_H
#define PLANYARD_VOCAB_H

#include "http.h"

/* In rank order: vocab_roles[i] is enum role i + 1 (ROLE_VIEWER first). */
extern const char *const vocab_roles[];
extern const char *const vocab_trades[];
extern const char *const vocab_pour_statuses[];
extern const char *const vocab_reminder_statuses[];
extern const char *const vocab_channels[];
/* How an employee gets their day sheets. */
extern const char *const vocab_employee_channels[];
extern const char *const vocab_subject_types[];
extern const char *const vocab_trip_statuses[];
/* What a workspace plans: pours and crews, or trips. */
extern const char *const vocab_workspace_kinds[];
/* The reminder sets a trip makes of its dates (app.trip_reminders_create). */
extern const char *const vocab_trip_templates[];

/* The role a word names; ROLE_NONE for NULL or an unknown word. */
enum role vocab_role(const char *s);

/* The word of a role ("none" for ROLE_NONE); static storage, never NULL. */
const char *vocab_role_name(enum role r);

#endif
