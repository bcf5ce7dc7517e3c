-- A due reminder is claimed with a lease that commits at once (app.reminders_claim), and each
-- reminder's outcome commits on its own right after its send: a sender that dies mid-batch
-- leaves behind only the reminders it held, due again when their lease runs out, instead of
-- rolling back the record of what it had already sent.
alter table app.reminders add column claimed_until timestamp with time zone;
