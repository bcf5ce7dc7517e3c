-- The schedule never contradicts itself, whatever path changes it (API.md "Operating data"):
-- plain SQL as planyard_app, with a live session as every request has, can't leave an
-- assignment on another date than its pour's, or on a canceled pour.
--
-- A pgTAP script. tests/api/test_schedule.py (ScheduleSql) makes through the HTTP API a pour
-- on d1 with e0 and two others assigned, a pour "other" on d3 with e0, a canceled pour on d1
-- and a free employee e3, and runs this file with psql as the cluster's superuser, passing:
--   key       the session secret (claim sk) of the workspace's owner
--   tenant    the workspace
--   pour, other, canceled   the three pours; d1, d2, d3 dates; e0, e3 employees
-- The superuser only installs pgTAP and then becomes planyard_app (SET SESSION AUTHORIZATION):
-- every assertion runs as planyard_app. Everything is rolled back at the end.

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only on
\pset pager off

begin;
create schema tap;
create extension pgtap schema tap;
grant usage on schema tap to planyard_app;
set search_path = tap, pg_catalog;

-- 'rows:N' or 'error:SQLSTATE'; a failed statement changes nothing (its own subtransaction).
create function tap.outcome(sql text) returns text language plpgsql as $$
declare
  n bigint;
begin
  execute sql;
  get diagnostics n = row_count;
  return 'rows:' || n;
exception when others then
  return 'error:' || sqlstate;
end $$;

select tap.no_plan();

set session authorization planyard_app;
set search_path = app, tap;

select is(current_user::text, 'planyard_app', 'current_user is planyard_app');
select is((select count(*)::int from app.request_begin(:'key')), 1, 'the owner''s live session is handed over');

-- A direct UPDATE of a pour's date: corrected (its people move with it), or refused.
select is(tap.outcome(format('update app.pours set scheduled_date = %L where id = %L', :'d2', :'pour')), 'rows:1',
          'UPDATE of the pour''s date goes through');
select is((select count(*)::int from app.assignments where pour_id = :'pour' and date = :'d2'), 3,
          '... and its three people are on the new date');
select is((select count(*)::int from app.assignments where pour_id = :'pour' and date <> :'d2'), 0,
          '... none left on the old one');
select is((select count(*)::int from app.audit_log where tenant_id = :'tenant' and action = 'assignment.moved'
           and at = now()), 3, '... each move audited in the same transaction');
select is(tap.outcome(format('update app.pours set scheduled_date = %L where id = %L', :'d3', :'pour')), 'error:23505',
          'UPDATE of the date onto a day one of its people is booked: refused');
select is((select scheduled_date::text from app.pours where id = :'pour'), :'d2', '... the pour stays');
select is((select count(*)::int from app.assignments where pour_id = :'pour' and date = :'d2'), 3, '... and so do its people');
select is(tap.outcome(format('update app.pours set scheduled_date = %L, volume_cy = 2 where id = %L', :'d1', :'pour')),
          'rows:1', 'moved back, with another field');
select is((select array_agg(distinct date::text) from app.assignments where pour_id = :'pour'), array[:'d1'],
          '... its people follow again');

-- An assignment whose date is not its pour's: refused (or, left out, filled in).
select is(tap.outcome(format('insert into app.assignments (tenant_id, employee_id, date, pour_id) values (%L, %L, %L, %L)',
                             :'tenant', :'e3', :'d2', :'pour')), 'error:PY400',
          'INSERT of an assignment on another date than its pour''s: refused');
select is(tap.outcome(format('insert into app.assignments (tenant_id, employee_id, pour_id) values (%L, %L, %L)',
                             :'tenant', :'e3', :'pour')), 'rows:1', 'INSERT without a date ...');
select is((select date::text from app.assignments where employee_id = :'e3' and pour_id = :'pour'), :'d1',
          '... is on the pour''s date');
select is(tap.outcome(format('update app.assignments set date = %L where employee_id = %L and pour_id = %L',
                             :'d2', :'e3', :'pour')), 'error:PY400',
          'UPDATE of an assignment''s date away from its pour''s: refused');
select is(tap.outcome(format('update app.assignments set pour_id = %L where employee_id = %L and pour_id = %L',
                             :'other', :'e3', :'pour')), 'error:PY400',
          'UPDATE onto a pour of another date, keeping the date: refused');
select is(tap.outcome(format('update app.assignments set pour_id = %L, date = %L where employee_id = %L and pour_id = %L',
                             :'other', :'d3', :'e3', :'pour')), 'rows:1',
          'UPDATE onto another pour with its date goes through');
select is(tap.outcome(format('update app.assignments set pour_id = %L, date = %L where employee_id = %L',
                             :'pour', :'d1', :'e3')), 'rows:1', '... and back');

-- A canceled pour takes nobody.
select is(tap.outcome(format('insert into app.assignments (tenant_id, employee_id, date, pour_id) values (%L, %L, %L, %L)',
                             :'tenant', :'e3', :'d1', :'canceled')), 'error:PY409',
          'INSERT of an assignment on a canceled pour: refused');
select is(tap.outcome(format('insert into app.assignments (tenant_id, employee_id, pour_id) values (%L, %L, %L)',
                             :'tenant', :'e3', :'canceled')), 'error:PY409', '... without a date too');
select is(tap.outcome(format('update app.assignments set pour_id = %L where employee_id = %L and pour_id = %L',
                             :'canceled', :'e3', :'pour')), 'error:PY409',
          'UPDATE of an assignment onto a canceled pour: refused');
select is((select count(*)::int from app.assignments where pour_id = :'canceled'), 0, 'the canceled pour holds nobody');

-- Cancelling by a plain UPDATE releases the pour's people, audited.
select is(tap.outcome(format('update app.pours set status = %L where id = %L', 'canceled', :'pour')), 'rows:1',
          'UPDATE of the status to canceled goes through');
select is((select count(*)::int from app.assignments where pour_id = :'pour'), 0, '... and releases its four people');
select is((select count(*)::int from app.audit_log where tenant_id = :'tenant' and action = 'assignment.released'
           and at = now()), 4, '... each release audited in the same transaction');
select is(tap.outcome(format('insert into app.assignments (tenant_id, employee_id, pour_id) values (%L, %L, %L)',
                             :'tenant', :'e3', :'pour')), 'error:PY409', '... after which it takes nobody');

-- planyard_app can't switch the rules off.
select is(tap.outcome('alter table app.assignments disable trigger assignments_follow_pour'), 'error:42501',
          'planyard_app can''t disable the trigger of assignments');
select is(tap.outcome('alter table app.pours disable trigger pours_release'), 'error:42501',
          'planyard_app can''t disable the trigger of pours');
select is(tap.outcome('alter table app.assignments drop constraint assignments_pour_date_fk'), 'error:42501',
          'planyard_app can''t drop the foreign key of the date');
select is(tap.outcome('set session_replication_role = replica'), 'error:42501',
          'planyard_app can''t skip triggers and foreign keys (session_replication_role)');

select * from finish();
rollback;
