/* Backups with pgBackRest: `planyard backup create|list|verify` and `planyard restore`.
 * In a dev layout the cluster and its pgBackRest configuration are found under
 * PLANYARD_DATA_DIR; in production PLANYARD_BACKUP_CONFIG names the configuration (with
 * the key given as PLANYARD_BACKUP_KEY, never stored in the repository). */
#ifndef PLANYARD_BACKUP_H
#define PLANYARD_BACKUP_H

#include "settings.h"

/* Exit statuses: 0 done, 1 failed, 2 bad usage. */
int backup_command(const settings_t *s, int argc, char **argv);
int restore_command(const settings_t *s, int argc, char **argv);

/* `dev` takes its daily snapshot itself: `backup create --snapshot`, then `backup expire`,
 * every PLANYARD_DEV_SNAPSHOT_INTERVAL_S (a day), the first after ten minutes or one interval,
 * whichever is sooner, on a thread of its own. Production runs the same two commands from its
 * scheduler. */
void backup_schedule_start(const settings_t *s);

/* Stops the schedule (a snapshot under way is finished first). */
void backup_schedule_stop(void);

#endif
