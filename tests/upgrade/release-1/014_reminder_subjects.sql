-- A reminder about a customer, project or pour points at it as surely as a foreign key does
-- (there is none: the subject is one of three tables). Deleting that record while a reminder
-- is about it is 409 in_use, like every other reference (API.md "Operating data"), instead of
-- leaving a reminder whose subject is gone, which every later PATCH of it would then refuse.
-- Only a delete of the record itself is checked (trigger depth 1): a cascade, such as a
-- workspace going away with its reminders, is not held up.

create function app.reminder_subject_in_use() returns trigger language plpgsql as $$
begin
  if pg_trigger_depth() = 1 and exists (
       select 1 from app.reminders r
       where r.tenant_id = old.tenant_id and r.subject_type = tg_argv[0] and r.subject_id = old.id) then
    raise exception using errcode = 'foreign_key_violation',
      message = 'a reminder is about this ' || tg_argv[0];
  end if;
  return old;
end $$;

create trigger customers_reminder_subject before delete on app.customers
  for each row execute function app.reminder_subject_in_use('customer');
create trigger projects_reminder_subject before delete on app.projects
  for each row execute function app.reminder_subject_in_use('project');
create trigger pours_reminder_subject before delete on app.pours
  for each row execute function app.reminder_subject_in_use('pour');

create index reminders_subject on app.reminders (tenant_id, subject_id) where subject_id is not null;
