-- A crew link's scope, in the database itself: a request made with a crew link hands its
-- token to the database (app.crew_begin), and row-level security then shows that employee's
-- assignments of the next 14 days, their pours, projects and crews, the employee and those
-- crews' foremen, and the workspace's name: nothing else, whatever the query asks.
--
-- A pgTAP script. tests/api/test_sendout.py (CrewLinkSql) makes through the HTTP API two
-- workspaces with a day each, a link for employee emp (one pour in the window, one past it),
-- a rotated (revoked) and an expired link, and runs this file with psql as the cluster's
-- superuser, passing:
--   token, revoked, expired   the links' tokens
--   tenant, other_tenant      the two workspaces; key, other_key their owners' session secrets
--   emp, foreman, mate        the link's employee, their foreman, another of the same pour
--   pour, other_pour, far_pour  emp's pour in the window, a pour without emp, emp's pour after it
-- The superuser only installs pgTAP and then becomes planyard_app. Everything is rolled back.

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

-- The rows of every operating table planyard_app can see now, as 'table:count'.
create function tap.visible() returns text language plpgsql as $$
declare
  t text;
  n bigint;
  out text := '';
begin
  foreach t in array array['assignments', 'pours', 'projects', 'customers', 'employees', 'crews', 'crew_members',
                           'regions', 'reminders', 'audit_log', 'tenants', 'memberships', 'invitations',
                           'impersonations', 'billing'] loop
    execute format('select count(*) from app.%I', t) into n;
    out := out || t || ':' || n || ' ';
  end loop;
  return rtrim(out);
end $$;
grant execute on function tap.visible() to planyard_app;

select tap.no_plan();

set session authorization planyard_app;
set search_path = app, tap;

select is(current_user::text, 'planyard_app', 'current_user is planyard_app');
select is(tap.visible(), 'assignments:0 pours:0 projects:0 customers:0 employees:0 crews:0 crew_members:0 regions:0 '
          'reminders:0 audit_log:0 tenants:0 memberships:0 invitations:0 impersonations:0 billing:0',
          'no context: nothing');

-- A live link.
select is((select count(*)::int from app.crew_begin(:'token')), 1, 'the live link is handed over');
select is((select app.current_tenant()), null, 'a crew link is no session: current_tenant() is NULL');
select is(tap.visible(), 'assignments:1 pours:1 projects:1 customers:0 employees:2 crews:1 crew_members:0 regions:0 '
          'reminders:0 audit_log:0 tenants:1 memberships:0 invitations:0 impersonations:0 billing:0',
          'the link sees one assignment, its pour, project and crew, two people, the workspace');
select is((select array_agg(distinct employee_id::text) from app.assignments), array[:'emp'],
          'every assignment seen is the employee''s');
select is((select array_agg(id::text) from app.pours), array[:'pour'], 'the one pour seen is the employee''s');
select is((select count(*)::int from app.pours where id in (:'other_pour', :'far_pour')), 0,
          'a pour without the employee, and the employee''s pour past the 14 days: invisible');
select is((select array_agg(id::text order by id) from app.employees),
          (select array_agg(x order by x) from unnest(array[:'emp', :'foreman']) x),
          'people seen: the employee and the foreman');
select is((select count(*)::int from app.employees where id = :'mate'), 0, 'a mate of the same pour: invisible');
select is((select id::text from app.tenants), :'tenant', 'the workspace seen is the link''s');
select is((select count(*)::int from app.pours where tenant_id = :'other_tenant'), 0, 'the other workspace: nothing');
select is((select app.crew_schedule()->'employee'->>'id'), :'emp', 'the crew page reads the employee');

-- Nothing can be written with it.
select is(tap.outcome(format('update app.pours set mix = %L where id = %L', 'x', :'pour')), 'rows:0',
          'UPDATE of its pour: no row');
select is(tap.outcome(format('delete from app.assignments where employee_id = %L', :'emp')), 'rows:0',
          'DELETE of its assignment: no row');
select is(tap.outcome(format('insert into app.assignments (tenant_id, employee_id, date) values (%L, %L, %L)',
                             :'tenant', :'emp', current_date + 30)), 'error:42501',
          'INSERT of an assignment: refused');
select is(tap.outcome(format('update app.employees set phone = %L where id = %L', '+15550000000', :'emp')), 'rows:0',
          'UPDATE of the employee: no row');
select is(tap.outcome('select * from app.crew_links'), 'error:42501', 'the links table: no privilege');
select is(tap.outcome(format('select app.crew_link_create(%L)', :'emp')), 'error:42501',
          'making a link needs an admin''s session');
select is(tap.outcome(format('select app.sheet_send(current_date, %L, %L, %L, %L, %L, %L)', :'emp', 'h', '{sms}',
                             '{+15550000000}', '{x}', '{\\x00}')), 'error:42501',
          'queueing a sheet needs a scheduler''s session');

-- Forged settings give nothing more.
select set_config('app.definer_tenant', :'other_tenant', true) is not null;
select is((select count(*)::int from app.pours), 1, 'a forged app.definer_tenant: still the one pour');
select set_config('app.crew_key', 'forged-' || :'token', true) is not null;
select is(tap.visible(), 'assignments:0 pours:0 projects:0 customers:0 employees:0 crews:0 crew_members:0 regions:0 '
          'reminders:0 audit_log:0 tenants:0 memberships:0 invitations:0 impersonations:0 billing:0',
          'a wrong token: nothing');

-- A session and a link together: the session's scope alone.
select is((select count(*)::int from app.crew_begin(:'token')), 1, 'the link again');
select is((select count(*)::int from app.request_begin(:'other_key')), 1, 'then another workspace''s session');
select is((select count(*)::int from app.pours where tenant_id = :'tenant'), 0,
          '... sees nothing of the link''s workspace');

-- Revoked and expired links.
select is((select count(*)::int from app.crew_begin(:'revoked')), 0, 'a rotated-away link: no row');
select is(tap.visible(), 'assignments:0 pours:0 projects:0 customers:0 employees:0 crews:0 crew_members:0 regions:0 '
          'reminders:0 audit_log:0 tenants:0 memberships:0 invitations:0 impersonations:0 billing:0',
          '... and nothing visible');
select is((select count(*)::int from app.crew_begin(:'expired')), 0, 'a link unused for 90 days: no row');
select is((select count(*)::int from app.assignments), 0, '... and nothing visible');

select * from finish();
rollback;
