-- A reminder's subject is held like a foreign key.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

CREATE OR REPLACE FUNCTION app.reminder_subject_in_use() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if pg_trigger_depth() = 1 and exists (
       select 1 from app.reminders r
       where r.tenant_id = old.tenant_id and r.subject_type = tg_argv[0] and r.subject_id = old.id) then
    raise exception using errcode = 'foreign_key_violation',
      message = 'a reminder is about this ' || tg_argv[0];
  end if;
  return old;
end $$;
