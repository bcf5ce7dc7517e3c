-- Sending the schedule to the crews: day sheets (what each person does on a date), the record
-- of what was sent, and the read-only crew links with the row-level security they run under.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

-- ---- day sheets ----

-- Each employee assigned on p_date in workspace p_tenant (only p_employees when given), with
-- their contacts and what they do that day, earliest start first. Runs as its caller, so
-- row-level security decides what it sees (a request's session, or a job's workspace).
CREATE OR REPLACE FUNCTION app.day_sheet_rows(p_tenant uuid, p_date date, p_employees uuid[]) RETURNS TABLE(employee_id uuid, name text, email text, phone text, channel text, items jsonb)
    LANGUAGE sql STABLE
    AS $$
  select e.id, e.name, e.email, e.phone, e.channel,
         jsonb_agg(jsonb_build_object(
           'pour_id', p.id, 'start_time', app.hhmm(p.start_time), 'project', pr.name, 'address', pr.address,
           'mix', p.mix, 'volume_cy', p.volume_cy::text, 'pump', p.pump, 'status', p.status, 'crew', cr.name,
           'foreman', f.name, 'foreman_phone', f.phone, 'role', a.role)
           order by p.start_time nulls last, pr.name, a.id)
  from app.assignments a
  join app.employees e on e.tenant_id = a.tenant_id and e.id = a.employee_id
  left join app.pours p on p.tenant_id = a.tenant_id and p.id = a.pour_id
  left join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
  left join app.crews cr on cr.tenant_id = p.tenant_id and cr.id = p.crew_id
  left join app.employees f on f.tenant_id = cr.tenant_id and f.id = cr.foreman_id
  where a.tenant_id = p_tenant and a.date = p_date
    and (p_employees is null or a.employee_id = any (p_employees))
  group by e.id, e.name, e.email, e.phone, e.channel
  order by e.name, e.id
$$;

-- The day sheets of the caller's workspace.
CREATE OR REPLACE FUNCTION app.day_sheets(p_date date, p_employees uuid[]) RETURNS TABLE(employee_id uuid, name text, email text, phone text, channel text, items jsonb)
    LANGUAGE sql STABLE
    AS $$
  select * from app.day_sheet_rows((select app.current_tenant()), p_date, p_employees)
$$;

-- Records that employee p_employee's sheet for p_date, whose text hashes to p_hash, goes out
-- in workspace p_tenant, and queues its messages (parallel arrays: channel, recipient,
-- subject, sealed body) in the outbox. 'unchanged' and nothing queued when the same sheet
-- went out already. A concurrent send of the same sheet waits for this one and then finds
-- it unchanged. Called by the definers below only (as their caller it reaches no row).
CREATE OR REPLACE FUNCTION app.sheet_store(p_tenant uuid, p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  insert into app.sheet_sends as s (tenant_id, employee_id, date, hash)
    values (p_tenant, p_employee, p_date, p_hash)
  on conflict (tenant_id, employee_id, date) do update set hash = excluded.hash, sent_at = now()
    where s.hash <> excluded.hash;
  if not found then
    return 'unchanged';
  end if;
  insert into app.outbox (tenant_id, channel, recipient, subject, body)
    select p_tenant, c, r, s, b from unnest(p_channels, p_recipients, p_subjects, p_bodies) as m(c, r, s, b);
  return 'queued';
end $$;

-- A signed-in scheduler's send (POST /schedule/send): in the live session's workspace only.
CREATE OR REPLACE FUNCTION app.sheet_send(p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
begin
  perform app.definer_enter(false);
  if t is null or app.session_rank() < 2
     or not exists (select 1 from app.tenants x where x.id = t and x.status = 'active') then
    raise exception 'no live session of a scheduler' using errcode = '42501';
  end if;
  perform set_config('app.definer_tenant', t::text, true);
  return app.sheet_store(t, p_date, p_employee, p_hash, p_channels, p_recipients, p_subjects, p_bodies);
end $$;

-- ---- the automatic send-out (cron) ----

-- The workspaces whose "send tomorrow's sheets at" time has come today in their own time
-- zone, the date of their tomorrow, and their name (for the sheets).
CREATE OR REPLACE FUNCTION app.sheets_due() RETURNS TABLE(tenant_id uuid, date date, name text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select t.id, (now() at time zone t.timezone)::date + 1, t.name from app.tenants t
  where t.sheets_send_at is not null and t.status = 'active'
    and (now() at time zone t.timezone)::time >= t.sheets_send_at
$$;

-- Claims the sheets of p_tenant's people on p_date that no run has claimed yet, and returns
-- them: a unique row per person and day, so with several servers (or two cron calls at
-- once) each person is claimed by one run only; the other waits and finds it taken.
CREATE OR REPLACE FUNCTION app.sheets_claim(p_tenant uuid, p_date date) RETURNS TABLE(employee_id uuid, name text, email text, phone text, channel text, items jsonb)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  ids uuid[];
begin
  perform app.definer_enter(true);
  perform set_config('app.definer_tenant', p_tenant::text, true);
  with claimed as (
    insert into app.sheet_auto (tenant_id, employee_id, date)
      select distinct a.tenant_id, a.employee_id, a.date from app.assignments a
      where a.tenant_id = p_tenant and a.date = p_date
    on conflict do nothing
    returning sheet_auto.employee_id)
  select array_agg(c.employee_id) into ids from claimed c;
  if ids is null then
    return;
  end if;
  return query select * from app.day_sheet_rows(p_tenant, p_date, ids);
end $$;

-- A claimed sheet going out from the automatic run, audited as the system's.
CREATE OR REPLACE FUNCTION app.sheet_send_job(p_tenant uuid, p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  result text;
begin
  perform app.definer_enter(true);
  if not exists (select 1 from app.sheet_auto s where s.tenant_id = p_tenant and s.employee_id = p_employee
                 and s.date = p_date) then
    raise exception 'the sheet was not claimed' using errcode = '42501';
  end if;
  perform set_config('app.definer_tenant', p_tenant::text, true);
  result := app.sheet_store(p_tenant, p_date, p_employee, p_hash, p_channels, p_recipients, p_subjects, p_bodies);
  perform app.audit('schedule.sent', 'employee', p_employee::text,
                    jsonb_build_object('date', jsonb_build_array(null, p_date), 'result', jsonb_build_array(null, result),
                                       'automatic', jsonb_build_array(null, true)));
  return result;
end $$;

-- ---- crew links ----

-- Whether a link still opens: not revoked, and used (or made) within 90 days.
CREATE OR REPLACE FUNCTION app.crew_link_alive(l app.crew_links) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select l.revoked_at is null and coalesce(l.last_used_at, l.created_at) > pg_catalog.now() - interval '90 days'
$$;

CREATE OR REPLACE FUNCTION app.crew_link_json(l app.crew_links) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('employee_id', l.employee_id, 'active', app.crew_link_alive(l),
    'created_at', app.ts(l.created_at), 'last_used_at', app.ts(l.last_used_at),
    'expires_at', app.ts(coalesce(l.last_used_at, l.created_at) + interval '90 days'),
    'revoked_at', app.ts(l.revoked_at))
$$;

-- The live session's admin check for link management; the workspace, or an exception.
CREATE OR REPLACE FUNCTION app.crew_link_admin(p_employee uuid) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
begin
  if t is null or app.session_rank() < 3 then
    raise exception 'no live session of an admin' using errcode = '42501';
  end if;
  perform set_config('app.definer_tenant', t::text, true);
  if not exists (select 1 from app.employees e where e.tenant_id = t and e.id = p_employee) then
    return null;
  end if;
  return t;
end $$;

-- Makes a new link for the employee (the one before stops working: rotation), returning the
-- token once; only its hash is kept. NULL when the employee is not in the workspace.
CREATE OR REPLACE FUNCTION app.crew_link_create(p_employee uuid) RETURNS TABLE(token text, link json)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  tok text := app.new_token();
  l app.crew_links;
  rotated int;
begin
  perform app.definer_enter(false);
  t := app.crew_link_admin(p_employee);
  if t is null then
    return;
  end if;
  if not exists (select 1 from app.tenants x where x.id = t and x.status = 'active') then
    raise exception 'the workspace is suspended' using errcode = '42501';
  end if;
  update app.crew_links c set revoked_at = now()
    where c.tenant_id = t and c.employee_id = p_employee and c.revoked_at is null;
  get diagnostics rotated = row_count;
  insert into app.crew_links (tenant_id, employee_id, token_hash)
    values (t, p_employee, sha256(convert_to(tok, 'UTF8'))) returning * into l;
  perform app.audit(case when rotated > 0 then 'crew_link.rotated' else 'crew_link.created' end,
                    'employee', p_employee::text, '{}');
  return query select tok, app.crew_link_json(l);
end $$;

-- The employee's current link (without its token), or NULL.
CREATE OR REPLACE FUNCTION app.crew_link_get(p_employee uuid) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.crew_link_admin(p_employee);
begin
  if t is null then
    return null;
  end if;
  return coalesce((select app.crew_link_json(c) from app.crew_links c
                   where c.tenant_id = t and c.employee_id = p_employee and c.revoked_at is null),
                  json_build_object('employee_id', p_employee, 'active', false));
end $$;

-- Revokes the employee's link at once: 'revoked', 'none' (no live link) or NULL (no such
-- employee in the workspace).
CREATE OR REPLACE FUNCTION app.crew_link_revoke(p_employee uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  n int;
begin
  perform app.definer_enter(false);
  t := app.crew_link_admin(p_employee);
  if t is null then
    return null;
  end if;
  update app.crew_links c set revoked_at = now()
    where c.tenant_id = t and c.employee_id = p_employee and c.revoked_at is null;
  get diagnostics n = row_count;
  if n = 0 then
    return 'none';
  end if;
  perform app.audit('crew_link.revoked', 'employee', p_employee::text, '{}');
  return 'revoked';
end $$;

-- The live link whose token this transaction holds (app.crew_key), its workspace, employee
-- and the workspace's today. All NULL when none is live. The hash is a variable (indexable).
CREATE OR REPLACE FUNCTION app.crew_context(OUT link_id uuid, OUT tenant_id uuid, OUT employee_id uuid, OUT today date)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  k text := nullif(current_setting('app.crew_key', true), '');
  h bytea;
begin
  if k is null then
    return;
  end if;
  h := sha256(convert_to(k, 'UTF8'));
  select c.id, c.tenant_id, c.employee_id, (now() at time zone t.timezone)::date
    into link_id, tenant_id, employee_id, today
  from app.crew_links c join app.tenants t on t.id = c.tenant_id
  where c.token_hash = h and app.crew_link_alive(c);
end $$;

CREATE OR REPLACE FUNCTION app.crew_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select (app.crew_context()).tenant_id
$$;

CREATE OR REPLACE FUNCTION app.crew_employee() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select (app.crew_context()).employee_id
$$;

CREATE OR REPLACE FUNCTION app.crew_today() RETURNS date
    LANGUAGE sql STABLE
    AS $$
  select (app.crew_context()).today
$$;

-- Marks the link of app.crew_key used, and audits its opening at most once an hour.
CREATE OR REPLACE FUNCTION app.crew_touch() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  c record := app.crew_context();
  audit boolean;
begin
  perform app.definer_enter(false);
  if c.link_id is null or current_setting('transaction_read_only') = 'on' then
    return;
  end if;
  perform set_config('app.definer_tenant', c.tenant_id::text, true);
  update app.crew_links l set last_used_at = now(),
         opened_audit_at = case when l.opened_audit_at is null or l.opened_audit_at <= now() - interval '1 hour'
                                then now() else l.opened_audit_at end
    where l.tenant_id = c.tenant_id and l.id = c.link_id
    returning l.opened_audit_at = now() into audit;
  if audit then
    perform app.audit('crew_link.opened', 'employee', c.employee_id::text, '{}');
  end if;
end $$;

-- First statement of a request made with a crew link: hands the database the link's token
-- for the rest of the transaction (row-level security then shows that employee's next 14
-- days and nothing else) and returns whose it is, or no row when the link is not live. No
-- SET clause (it would undo the set_config at return): every name is schema-qualified.
CREATE OR REPLACE FUNCTION app.crew_begin(p_token text) RETURNS TABLE(tenant_id uuid, employee_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    AS $$
declare
  c record;
begin
  perform pg_catalog.set_config('app.session_key', '', true);
  perform pg_catalog.set_config('app.crew_key', coalesce(p_token, ''), true);
  c := app.crew_context();
  if c.link_id is null then
    return;
  end if;
  perform app.crew_touch();
  return query select c.tenant_id, c.employee_id;
end $$;

-- What the crew page shows, read under the link's row-level security only: the employee's
-- name, the workspace's name, and each day of the next 14 with what they do.
CREATE OR REPLACE FUNCTION app.crew_schedule() RETURNS json
    LANGUAGE sql STABLE
    AS $$
  with ctx as (select app.crew_tenant() as t, app.crew_employee() as e, app.crew_today() as d),
  rows as (
    select a.date, jsonb_build_object(
             'pour_id', p.id, 'start_time', app.hhmm(p.start_time), 'project', pr.name, 'address', pr.address,
             'mix', p.mix, 'volume_cy', p.volume_cy::text, 'pump', p.pump, 'status', p.status, 'crew', cr.name,
             'foreman', f.name, 'foreman_phone', f.phone, 'role', a.role) as item,
           p.start_time, a.id
    from app.assignments a
    left join app.pours p on p.tenant_id = a.tenant_id and p.id = a.pour_id
    left join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
    left join app.crews cr on cr.tenant_id = p.tenant_id and cr.id = p.crew_id
    left join app.employees f on f.tenant_id = cr.tenant_id and f.id = cr.foreman_id
    where a.tenant_id = (select t from ctx) and a.employee_id = (select e from ctx))
  select json_build_object(
    'employee', (select json_build_object('id', e.id, 'name', e.name) from app.employees e
                 where e.tenant_id = (select t from ctx) and e.id = (select e from ctx)),
    'workspace', (select json_build_object('name', w.name, 'timezone', w.timezone) from app.tenants w
                  where w.id = (select t from ctx)),
    'from', (select d from ctx)::text, 'to', ((select d from ctx) + 13)::text,
    'days', coalesce((select json_agg(json_build_object('date', g.day::date::text,
               'items', coalesce((select jsonb_agg(r.item order by r.start_time nulls last, r.id) from rows r
                                  where r.date = g.day::date), '[]'::jsonb)) order by g.day)
             from generate_series((select d from ctx), (select d from ctx) + 13, interval '1 day') g(day)), '[]'))
  where (select t from ctx) is not null
$$;

-- ---- policies ----

-- The tables of this file are reached only through the definers above.
DROP POLICY IF EXISTS sheet_sends_definer ON app.sheet_sends;
CREATE POLICY sheet_sends_definer ON app.sheet_sends USING (app.is_definer()) WITH CHECK (app.is_definer());
DROP POLICY IF EXISTS sheet_auto_definer ON app.sheet_auto;
CREATE POLICY sheet_auto_definer ON app.sheet_auto USING (app.is_definer()) WITH CHECK (app.is_definer());
DROP POLICY IF EXISTS crew_links_definer ON app.crew_links;
CREATE POLICY crew_links_definer ON app.crew_links USING (app.is_definer()) WITH CHECK (app.is_definer());

-- A request made with a crew link (no session: app.current_tenant() is NULL) reads that
-- employee's assignments of the window (their workspace's today and the 13 days after), the
-- pours, projects and crews of those, the employee and those crews' foremen, and the name
-- of the workspace. Nothing else: no other policy lets a row through without a session.
-- The workspace is the SELECT policy's (900_policies.sql: the session's, else the link's);
-- each restrictive policy below narrows a link's reads to the rows above. It lets a request
-- through unexamined when no link token is set (then no link can widen anything) or when a
-- session is live; otherwise each row is asked of the function named. Those run as their
-- caller, so their own reads are under these same policies, and a policy calling one stays a
-- single expression: an EXISTS written into the policy would put the other table's policies,
-- and theirs, into the plan of every read of the session's own data.
CREATE OR REPLACE FUNCTION app.crew_keyless() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select coalesce(pg_catalog.current_setting('app.crew_key', true), '') = ''
$$;

CREATE OR REPLACE FUNCTION app.crew_sees_assignment(p_employee uuid, p_date date) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
declare
  c record := app.crew_context();
begin
  return coalesce(p_employee = c.employee_id and p_date between c.today and c.today + 13, false);
end $$;

CREATE OR REPLACE FUNCTION app.crew_sees_pour(p_tenant uuid, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return exists (select 1 from app.assignments a where a.tenant_id = p_tenant and a.pour_id = p_id);
end $$;

CREATE OR REPLACE FUNCTION app.crew_sees_project(p_tenant uuid, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return exists (select 1 from app.pours p where p.tenant_id = p_tenant and p.project_id = p_id);
end $$;

CREATE OR REPLACE FUNCTION app.crew_sees_crew(p_tenant uuid, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return exists (select 1 from app.pours p where p.tenant_id = p_tenant and p.crew_id = p_id);
end $$;

CREATE OR REPLACE FUNCTION app.crew_sees_employee(p_tenant uuid, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return coalesce(p_id = app.crew_employee(), false)
         or exists (select 1 from app.crews c where c.tenant_id = p_tenant and c.foreman_id = p_id);
end $$;

DROP POLICY IF EXISTS assignments_crew_select ON app.assignments;
CREATE POLICY assignments_crew_select ON app.assignments AS RESTRICTIVE FOR SELECT USING (
  (select app.crew_keyless()) or (select app.current_tenant()) is not null
  or app.crew_sees_assignment(employee_id, date));

DROP POLICY IF EXISTS pours_crew_select ON app.pours;
CREATE POLICY pours_crew_select ON app.pours AS RESTRICTIVE FOR SELECT USING (
  (select app.crew_keyless()) or (select app.current_tenant()) is not null or app.crew_sees_pour(tenant_id, id));

DROP POLICY IF EXISTS projects_crew_select ON app.projects;
CREATE POLICY projects_crew_select ON app.projects AS RESTRICTIVE FOR SELECT USING (
  (select app.crew_keyless()) or (select app.current_tenant()) is not null or app.crew_sees_project(tenant_id, id));

DROP POLICY IF EXISTS crews_crew_select ON app.crews;
CREATE POLICY crews_crew_select ON app.crews AS RESTRICTIVE FOR SELECT USING (
  (select app.crew_keyless()) or (select app.current_tenant()) is not null or app.crew_sees_crew(tenant_id, id));

DROP POLICY IF EXISTS employees_crew_select ON app.employees;
CREATE POLICY employees_crew_select ON app.employees AS RESTRICTIVE FOR SELECT USING (
  (select app.crew_keyless()) or (select app.current_tenant()) is not null or app.crew_sees_employee(tenant_id, id));

-- (the workspace's name: tenants_select admits the link's workspace)
DROP POLICY IF EXISTS tenants_crew_select ON app.tenants;

-- ---- change notices ----

-- Records that employee p_employee, whose sheet for p_old_date went out, is owed a notice of
-- this transaction's change to pour p_pour: one row per person, pour and transaction, so a
-- change made of several statements (a cancel releasing its people, a move and a new time)
-- is one notice; the strongest kind wins (canceled, then removed, then moved), the pour's
-- last date and time are the ones told. Nothing when the sheet never went out.
CREATE OR REPLACE FUNCTION app.sheet_notice_owe(p_tenant uuid, p_employee uuid, p_pour uuid, p_kind text, p_old_date date, p_old_time text, p_new_date date, p_new_time text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  -- (a workspace being deleted takes its sheets and people with it: nobody is owed anything)
  if not exists (select 1 from app.sheet_sends s where s.tenant_id = p_tenant and s.employee_id = p_employee
                 and s.date = p_old_date)
     or not exists (select 1 from app.tenants t where t.id = p_tenant) then
    return;
  end if;
  insert into app.sheet_notices as n (tenant_id, employee_id, pour_id, kind, project, old_date, old_time, new_date, new_time)
    select p_tenant, p_employee, p_pour, p_kind, coalesce(pr.name, ''), p_old_date, p_old_time, p_new_date, p_new_time
    from app.pours p left join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
    where p.tenant_id = p_tenant and p.id = p_pour
  on conflict (tenant_id, employee_id, pour_id, xact) do update set
    kind = case when 'canceled' in (n.kind, excluded.kind) then 'canceled'
                when 'removed' in (n.kind, excluded.kind) then 'removed' else 'moved' end,
    new_date = coalesce(excluded.new_date, n.new_date),
    new_time = case when excluded.new_date is null then n.new_time else excluded.new_time end;
end $$;

-- A pour moved (date or start time) or canceled: everyone on it whose sheet for its date went
-- out is owed a notice. A cancel has released its people already (app.pours_release, before
-- the update): their rows, recorded as removals, become the cancel's.
CREATE OR REPLACE FUNCTION app.pours_notice() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  -- the change's workspace for the reads below; whatever the caller had is put back
  prev text := current_setting('app.definer_tenant', true);
begin
  perform set_config('app.definer_tenant', new.tenant_id::text, true);
  if new.status = 'canceled' and old.status <> 'canceled' then
    update app.sheet_notices n set kind = 'canceled'
      where n.tenant_id = new.tenant_id and n.pour_id = new.id and n.xact = pg_current_xact_id();
  elsif new.scheduled_date <> old.scheduled_date or new.start_time is distinct from old.start_time then
    perform app.sheet_notice_owe(new.tenant_id, a.employee_id, new.id, 'moved', old.scheduled_date,
                                 app.hhmm(old.start_time), new.scheduled_date, app.hhmm(new.start_time))
    from app.assignments a where a.tenant_id = new.tenant_id and a.pour_id = new.id;
  end if;
  perform set_config('app.definer_tenant', coalesce(prev, ''), true);
  return null;
end $$;

-- A person taken off a pour (the assignment deleted, or moved to another pour or person).
CREATE OR REPLACE FUNCTION app.assignments_notice() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  prev text := current_setting('app.definer_tenant', true);
begin
  if old.pour_id is null
     or (tg_op = 'UPDATE' and new.pour_id is not distinct from old.pour_id and new.employee_id = old.employee_id) then
    return null;
  end if;
  perform set_config('app.definer_tenant', old.tenant_id::text, true);
  perform app.sheet_notice_owe(old.tenant_id, old.employee_id, old.pour_id, 'removed', old.date,
                               app.hhmm(p.start_time), null, null)
  from app.pours p where p.tenant_id = old.tenant_id and p.id = old.pour_id;
  perform set_config('app.definer_tenant', coalesce(prev, ''), true);
  return null;
end $$;

-- Takes (deletes and returns) the change notices owed in the live session's workspace, with
-- each person's contacts, for the request to compose, seal and queue them before it
-- commits. Rows another transaction is taking are skipped: each is taken once.
CREATE OR REPLACE FUNCTION app.sheet_notices_take() RETURNS TABLE(tenant_id uuid, pour_id uuid, kind text, employee_id uuid, name text, email text, phone text, channel text, project text, old_date date, old_time text, new_date date, new_time text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
begin
  perform app.definer_enter(false);
  if t is null then
    return;
  end if;
  -- the workspace's writer lock (a change of the schedule holds it already): a job taking
  -- this workspace's notices finishes first
  perform pg_advisory_xact_lock(74202, hashtext(t::text));
  return query select * from app.sheet_notices_of(t);
end $$;

-- The same for a job: the owed notices of one workspace that has some (the one owed
-- longest); called again until it returns none. It takes only a workspace whose writer lock
-- (the audit chain's, app.schedule_lock's) it can have at once, never waiting for it: two jobs,
-- or a job and a request of that workspace, never share its notices, so each change's are
-- composed, queued and audited by one of them, as one; a workspace busy now waits for the next run.
CREATE OR REPLACE FUNCTION app.sheet_notices_take_job() RETURNS TABLE(tenant_id uuid, pour_id uuid, kind text, employee_id uuid, name text, email text, phone text, channel text, project text, old_date date, old_time text, new_date date, new_time text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
begin
  perform app.definer_enter(true);
  for t in select x.tenant_id from app.sheet_notices x group by x.tenant_id order by min(x.id) limit 100 loop
    if pg_try_advisory_xact_lock(74202, hashtext(t::text)) then
      return query select * from app.sheet_notices_of(t);
      -- (none left: another job took them as this one looked, or they undid themselves)
      if found then
        return;
      end if;
    end if;
  end loop;
end $$;

-- Called by the two above only: p_tenant's owed notices (at most 1000), in the order they
-- are composed in (by pour and kind).
CREATE OR REPLACE FUNCTION app.sheet_notices_of(p_tenant uuid) RETURNS TABLE(tenant_id uuid, pour_id uuid, kind text, employee_id uuid, name text, email text, phone text, channel text, project text, old_date date, old_time text, new_date date, new_time text)
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select set_config('app.definer_tenant', p_tenant::text, true);
  with taken as (
    delete from app.sheet_notices n
    where (n.tenant_id, n.id) in (select x.tenant_id, x.id from app.sheet_notices x where x.tenant_id = p_tenant
                                  order by x.id limit 1000 for update skip locked)
    returning n.*)
  select t.tenant_id, t.pour_id, t.kind, t.employee_id, e.name, e.email, e.phone, e.channel, t.project, t.old_date,
         t.old_time, t.new_date, t.new_time
  from taken t join app.employees e on e.tenant_id = t.tenant_id and e.id = t.employee_id
  -- a move there and back within one transaction changed nothing
  where not (t.kind = 'moved' and t.new_date = t.old_date and t.new_time is not distinct from t.old_time)
  order by t.tenant_id, t.pour_id, t.kind, e.name, t.employee_id
$$;

-- Queues change notices (parallel arrays as app.sheet_store's) in the live session's
-- workspace, audited on the pour.
CREATE OR REPLACE FUNCTION app.sheet_notice_send(p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
begin
  perform app.definer_enter(false);
  if t is null then
    raise exception 'no live session' using errcode = '42501';
  end if;
  return app.sheet_notice_queue(t, p_pour, p_kind, p_channels, p_recipients, p_subjects, p_bodies);
end $$;

-- The same for a job, in the workspace the notices were taken from, audited as the system's.
CREATE OR REPLACE FUNCTION app.sheet_notice_send_job(p_tenant uuid, p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.definer_enter(true);
  if not exists (select 1 from app.tenants x where x.id = p_tenant) then
    raise exception 'no such workspace' using errcode = '42501';
  end if;
  return app.sheet_notice_queue(p_tenant, p_pour, p_kind, p_channels, p_recipients, p_subjects, p_bodies);
end $$;

-- Called by the two above only.
CREATE OR REPLACE FUNCTION app.sheet_notice_queue(p_tenant uuid, p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  n int;
begin
  perform set_config('app.definer_tenant', p_tenant::text, true);
  insert into app.outbox (tenant_id, channel, recipient, subject, body)
    select p_tenant, c, r, s, b from unnest(p_channels, p_recipients, p_subjects, p_bodies) as m(c, r, s, b);
  get diagnostics n = row_count;
  perform app.audit('pour.change_notice', 'pour', p_pour::text,
                    jsonb_build_object('kind', jsonb_build_array(null, p_kind), 'messages', jsonb_build_array(null, n)));
  return n;
end $$;

DROP POLICY IF EXISTS sheet_notices_definer ON app.sheet_notices;
CREATE POLICY sheet_notices_definer ON app.sheet_notices USING (app.is_definer()) WITH CHECK (app.is_definer());
