-- Customers, projects, pours, employees, crews, assignments, regions and reminders: one set of functions per resource of API.md.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

-- An assignment on a pour may leave out its date: app.assignments_follow_pour fills it in.
CREATE OR REPLACE FUNCTION app.assignments_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  select app.schedule_lock();
  insert into app.assignments as c (tenant_id, employee_id, date, pour_id, role)
  values (app.current_tenant(), (b->>'employee_id')::uuid, (b->>'date')::date, (b->>'pour_id')::uuid, b->>'role')
  returning app.assignments_json(c)
$$;

CREATE OR REPLACE FUNCTION app.assignments_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  select app.schedule_lock();
  with d as (delete from app.assignments c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

-- The gets are PL/pgSQL: a SQL function with a FROM is not inlined into its caller, so it
-- would be planned again, policies and all, at every call; PL/pgSQL keeps its plan for the
-- connection.
CREATE OR REPLACE FUNCTION app.assignments_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.assignments_json(c) from app.assignments c where c.id = p_id);
end $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE OR REPLACE FUNCTION app.assignments_json(c app.assignments) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select ('{"id":' || app.juuid(c.id) || ',"employee_id":' || app.juuid(c.employee_id)
    || ',"date":' || coalesce('"' || c.date || '"', 'null') || ',"pour_id":' || app.juuid(c.pour_id)
    || ',"role":' || app.jtext(c.role) || ',"created_at":' || app.jts(c.created_at)
    || ',"updated_at":' || app.jts(c.updated_at) || '}')::json
$$;

-- The days are one range, an open end as infinity: "no filter OR date >= from" would keep them
-- out of the index condition, and every assignment of the workspace would be read. CASE, not
-- COALESCE: the planner lets only expressions it knows leak nothing (CASE does, COALESCE not)
-- into the index scan ahead of the row-level security filter.
CREATE OR REPLACE FUNCTION app.assignments_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.assignments_json(c), c.date::text || '|' || c.id
  from app.assignments c
  where c.date between case when f->>'from' is null then '-infinity'::date else (f->>'from')::date end
                   and case when f->>'to' is null then 'infinity'::date else (f->>'to')::date end
    and (f->>'employee_id' is null or c.employee_id = (f->>'employee_id')::uuid)
    and (f->>'pour_id' is null or c.pour_id = (f->>'pour_id')::uuid)
    and (after is null or (c.date, c.id) > (app.cursor_date(after), app.cursor_id(after)))
  order by c.date, c.id
  limit lim + 1
$$;

-- Put on another pour without a date, an assignment goes to that pour's date.
CREATE OR REPLACE FUNCTION app.assignments_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  select app.schedule_lock();
  update app.assignments c set
    employee_id = case when b ? 'employee_id' then (b->>'employee_id')::uuid else c.employee_id end,
    date = case when b ? 'date' then (b->>'date')::date
                when b->>'pour_id' is not null then null
                else c.date end,
    pour_id = case when b ? 'pour_id' then (b->>'pour_id')::uuid else c.pour_id end,
    role = case when b ? 'role' then b->>'role' else c.role end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.assignments_json(c)
$$;

CREATE OR REPLACE FUNCTION app.bad(field text, code text, message text) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  raise exception using errcode = 'PY400', message = field || '|' || code || '|' || message;
end $$;

CREATE OR REPLACE FUNCTION app.crews_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.crews as c (tenant_id, name, region_id, foreman_id)
  values (app.current_tenant(), b->>'name', (b->>'region_id')::uuid, (b->>'foreman_id')::uuid)
  returning app.crews_json(c)
$$;

CREATE OR REPLACE FUNCTION app.crews_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.crews c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE OR REPLACE FUNCTION app.crews_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.crews_json(c) from app.crews c where c.id = p_id);
end $$;

-- PL/pgSQL: a SQL function with a sub-select is never inlined, so its query would be planned
-- again, policies and all, in every statement that calls it (a list: once per request).
CREATE OR REPLACE FUNCTION app.crews_json(c app.crews) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return ('{"id":' || app.juuid(c.id) || ',"name":' || app.jtext(c.name) || ',"region_id":' || app.juuid(c.region_id)
      || ',"foreman_id":' || app.juuid(c.foreman_id) || ',"member_ids":['
      || coalesce((select string_agg('"' || m.employee_id || '"', ',' order by m.created_at, m.employee_id)
                   from app.crew_members m where m.tenant_id = c.tenant_id and m.crew_id = c.id), '')
      || '],"created_at":' || app.jts(c.created_at) || ',"updated_at":' || app.jts(c.updated_at) || '}')::json;
end $$;

CREATE OR REPLACE FUNCTION app.crews_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.crews_json(c), c.created_at::text || '|' || c.id
  from app.crews c
  where (f->>'region_id' is null or c.region_id = (f->>'region_id')::uuid)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

-- Setting a crew's members is one crew.assigned row with the lists before and after.
CREATE OR REPLACE FUNCTION app.crews_set_members(p_id uuid, b jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  t uuid := (select app.current_tenant());
  ids uuid[] := array(select distinct e::uuid from jsonb_array_elements_text(b->'employee_ids') e);
  before jsonb;
begin
  perform 1 from app.crews c where c.tenant_id = t and c.id = p_id for update;
  if not found then
    return null;
  end if;
  before := coalesce((select jsonb_agg(m.employee_id order by m.employee_id) from app.crew_members m
                      where m.tenant_id = t and m.crew_id = p_id), '[]');
  delete from app.crew_members m where m.tenant_id = t and m.crew_id = p_id and m.employee_id <> all (ids);
  insert into app.crew_members (tenant_id, crew_id, employee_id)
    select t, p_id, e from unnest(ids) e
    on conflict do nothing;
  perform app.audit('crew.assigned', 'crew', p_id::text, jsonb_build_object('member_ids', jsonb_build_array(before,
    coalesce((select jsonb_agg(e order by e) from unnest(ids) e), '[]'))));
  return (select app.crews_json(c) from app.crews c where c.tenant_id = t and c.id = p_id);
end $$;

CREATE OR REPLACE FUNCTION app.crews_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.crews c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    region_id = case when b ? 'region_id' then (b->>'region_id')::uuid else c.region_id end,
    foreman_id = case when b ? 'foreman_id' then (b->>'foreman_id')::uuid else c.foreman_id end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.crews_json(c)
$$;

CREATE OR REPLACE FUNCTION app.cursor_date(after text) RETURNS date
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return split_part(after, '|', 1)::date;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

-- Keyset cursors are "key|uuid"; a cursor that does not parse is the client's mistake.
CREATE OR REPLACE FUNCTION app.cursor_id(after text) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE
    AS $$
begin
  return split_part(after, '|', 2)::uuid;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

CREATE OR REPLACE FUNCTION app.cursor_ts(after text) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return split_part(after, '|', 1)::timestamptz;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

CREATE OR REPLACE FUNCTION app.customers_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.customers as c (tenant_id, name, contact_name, email, phone, notes)
  values (app.current_tenant(), b->>'name', b->>'contact_name', b->>'email', b->>'phone', b->>'notes')
  returning app.customers_json(c)
$$;

CREATE OR REPLACE FUNCTION app.customers_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.customers c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE OR REPLACE FUNCTION app.customers_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.customers_json(c) from app.customers c where c.id = p_id);
end $$;

CREATE OR REPLACE FUNCTION app.customers_json(c app.customers) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select ('{"id":' || app.juuid(c.id) || ',"name":' || app.jtext(c.name) || ',"contact_name":' || app.jtext(c.contact_name)
    || ',"email":' || app.jtext(c.email) || ',"phone":' || app.jtext(c.phone) || ',"notes":' || app.jtext(c.notes)
    || ',"created_at":' || app.jts(c.created_at) || ',"updated_at":' || app.jts(c.updated_at) || '}')::json
$$;

CREATE OR REPLACE FUNCTION app.customers_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.customers_json(c), c.created_at::text || '|' || c.id
  from app.customers c
  where (f->>'q' is null or strpos(lower(c.name), lower(f->>'q')) > 0)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE OR REPLACE FUNCTION app.customers_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.customers c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    contact_name = case when b ? 'contact_name' then b->>'contact_name' else c.contact_name end,
    email = case when b ? 'email' then b->>'email' else c.email end,
    phone = case when b ? 'phone' then b->>'phone' else c.phone end,
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.customers_json(c)
$$;

CREATE OR REPLACE FUNCTION app.employees_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.employees as c (tenant_id, name, trade, phone, email, region_id, active, channel)
  values (app.current_tenant(), b->>'name', b->>'trade', b->>'phone', b->>'email', (b->>'region_id')::uuid,
          coalesce((b->>'active')::boolean, true), coalesce(b->>'channel', 'both'))
  returning app.employees_json(c)
$$;

CREATE OR REPLACE FUNCTION app.employees_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.employees c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE OR REPLACE FUNCTION app.employees_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.employees_json(c) from app.employees c where c.id = p_id);
end $$;

CREATE OR REPLACE FUNCTION app.employees_json(c app.employees) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select ('{"id":' || app.juuid(c.id) || ',"name":' || app.jtext(c.name) || ',"trade":' || app.jtext(c.trade)
    || ',"phone":' || app.jtext(c.phone) || ',"email":' || app.jtext(c.email) || ',"region_id":' || app.juuid(c.region_id)
    || ',"active":' || coalesce(c.active::text, 'null') || ',"channel":' || app.jtext(c.channel) || ',"created_at":' || app.jts(c.created_at)
    || ',"updated_at":' || app.jts(c.updated_at) || '}')::json
$$;

CREATE OR REPLACE FUNCTION app.employees_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.employees_json(c), c.created_at::text || '|' || c.id
  from app.employees c
  where (f->>'region_id' is null or c.region_id = (f->>'region_id')::uuid)
    and (f->>'active' is null or c.active = (f->>'active')::boolean)
    and (f->>'trade' is null or c.trade = f->>'trade')
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE OR REPLACE FUNCTION app.employees_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.employees c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    trade = case when b ? 'trade' then b->>'trade' else c.trade end,
    phone = case when b ? 'phone' then b->>'phone' else c.phone end,
    email = case when b ? 'email' then b->>'email' else c.email end,
    region_id = case when b ? 'region_id' then (b->>'region_id')::uuid else c.region_id end,
    active = case when b ? 'active' then coalesce((b->>'active')::boolean, true) else c.active end,
    channel = coalesce(b->>'channel', c.channel),
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.employees_json(c)
$$;

-- STABLE like to_char, so that it is inlined (see app.ts).
CREATE OR REPLACE FUNCTION app.hhmm(t time without time zone) RETURNS text
    LANGUAGE sql STABLE
    AS $$ select to_char(t, 'HH24:MI') $$;

-- needed and assigned by the pour's region (its project's), available by the person's home region.
-- PL/pgSQL, not SQL: a SQL function that can't be inlined (this one has CTEs) is planned again
-- on every call, 2 ms here; PL/pgSQL keeps the plan for the connection. Each table is read
-- once (the days' pours with their projects, the days' assignments, the employees), as every
-- reference of a table brings its policy and so one more probe of the live session: an
-- assignment on a pour is on the pour's date (assignments_pour_date_fk), so the days' pours
-- are all the assignments of the days can be on. The workspace is the policies' alone, and the
-- three counts of a region's day come from one grouping of the rows they count (a union), not
-- from three groupings joined to the cells.
CREATE OR REPLACE FUNCTION app.manpower(p_from date, p_to date, p_region uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (with ps as materialized (
           select p.id, p.scheduled_date as day, p.crew_size_needed, pr.region_id
           from app.pours p join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
           where p.scheduled_date between p_from and p_to and p.status <> 'canceled'),
         asg as materialized (select a.employee_id, a.date as day, a.pour_id from app.assignments a
                              where a.date between p_from and p_to),
         emp as materialized (select e.id, e.region_id from app.employees e where e.active),
         x as (select ps.region_id, ps.day, ps.crew_size_needed as needed, null::uuid as site, null::uuid as home from ps
               union all
               select ps.region_id, a.day, 0, a.employee_id, null from asg a join ps on ps.id = a.pour_id
               union all
               select e.region_id, a.day, 0, null, a.employee_id from asg a join emp e on e.id = a.employee_id),
         g as (select x.region_id, x.day, sum(x.needed) as n, count(distinct x.site) as s, count(distinct x.home) as h
               from x group by 1, 2),
         ac as (select emp.region_id, count(*) as n from emp group by 1)
  select coalesce(json_agg(json_build_object('date', d.day::text, 'region_id', r.id,
           'needed', coalesce(g.n, 0), 'assigned', coalesce(g.s, 0),
           'available', coalesce(ac.n, 0) - coalesce(g.h, 0)) order by d.day, r.name, r.id), '[]'::json)
  from (select d::date as day from generate_series(p_from, p_to, interval '1 day') d) d
  cross join app.regions r
  left join g on g.region_id = r.id and g.day = d.day
  left join ac on ac.region_id = r.id
  where p_region is null or r.id = p_region);
end $$;

-- Cancelling releases the pour's people (app.pours_release, a trigger); the answer counts them.
CREATE OR REPLACE FUNCTION app.pours_cancel(p_id uuid, b jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  t uuid := (select app.current_tenant());
  c app.pours;
  n int;
begin
  perform app.schedule_lock();
  perform 1 from app.pours x where x.tenant_id = t and x.id = p_id for update;
  if not found then
    return null;
  end if;
  -- the pour is locked: nobody can be put on it until this commits
  n := (select count(*) from app.assignments a where a.tenant_id = t and a.pour_id = p_id);
  update app.pours x set status = 'canceled', cancel_reason = b->>'reason', updated_at = now()
  where x.tenant_id = t and x.id = p_id
  returning x.* into c;
  return (app.pours_json(c)::jsonb || jsonb_build_object('released', n))::json;
end $$;

CREATE OR REPLACE FUNCTION app.pours_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.pours as c (tenant_id, project_id, scheduled_date, start_time, volume_cy, mix, pump, crew_id,
                              crew_size_needed, status, notes)
  values (app.current_tenant(), (b->>'project_id')::uuid, (b->>'scheduled_date')::date, (b->>'start_time')::time,
          (b->>'volume_cy')::numeric, b->>'mix', coalesce((b->>'pump')::boolean, false), (b->>'crew_id')::uuid,
          coalesce((b->>'crew_size_needed')::int, 0), coalesce(b->>'status', 'tentative'), b->>'notes')
  returning app.pours_json(c)
$$;

CREATE OR REPLACE FUNCTION app.pours_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.pours c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE OR REPLACE FUNCTION app.pours_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.pours_json(c) from app.pours c where c.id = p_id);
end $$;

-- One pour: its conflicts looked up here (a list finds them in its own scan, app.pours_page).
-- PL/pgSQL: a SQL function with a sub-select is never inlined, so its query would be planned
-- again, policies and all, at every call.
CREATE OR REPLACE FUNCTION app.pours_json(c app.pours) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return app.pours_json_with(c, (select ('[' || string_agg('"' || o.id || '"', ',' order by o.start_time nulls last, o.id)
                                          || ']')::json
                                 from app.pours o
                                 where o.tenant_id = c.tenant_id and o.crew_id = c.crew_id
                                   and o.scheduled_date = c.scheduled_date and o.id <> c.id
                                   and o.status <> 'canceled' and c.status <> 'canceled'));
end $$;

-- A JSON string, or null: the text escaped as json_build_object would. With app.juuid and
-- app.jts (a timestamp as app.ts writes it), the pieces of the records' JSON written out by
-- hand (see app.pours_json_with); all three are inlined.
CREATE OR REPLACE FUNCTION app.jtext(v text) RETURNS text
    LANGUAGE sql STABLE
    AS $$ select coalesce(to_json(v)::text, 'null') $$;

CREATE OR REPLACE FUNCTION app.juuid(v uuid) RETURNS text
    LANGUAGE sql STABLE
    AS $$ select coalesce('"' || v || '"', 'null') $$;

CREATE OR REPLACE FUNCTION app.jts(v timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    AS $$ select coalesce('"' || app.ts(v) || '"', 'null') $$;

-- conflicts: the ids of the other pours, not canceled, of the same crew on the same date (none
-- for a canceled pour), a JSON array (NULL for none). The object is written out by hand, and
-- compact: json_build_object looks up the output function of each of its 32 arguments on
-- every row, about 7 µs a pour, twice what this costs. Ids, dates, times and numbers need no
-- escaping; text goes through app.jtext.
CREATE OR REPLACE FUNCTION app.pours_json_with(c app.pours, conflicts json) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select ('{"id":"' || c.id || '","project_id":"' || c.project_id || '","scheduled_date":"' || c.scheduled_date
    || '","start_time":' || coalesce('"' || app.hhmm(c.start_time) || '"', 'null')
    || ',"volume_cy":' || coalesce('"' || c.volume_cy || '"', 'null')
    || ',"mix":' || app.jtext(c.mix) || ',"pump":' || coalesce(c.pump::text, 'null')
    || ',"crew_id":' || coalesce('"' || c.crew_id || '"', 'null')
    || ',"crew_size_needed":' || coalesce(c.crew_size_needed::text, 'null')
    || ',"status":' || app.jtext(c.status) || ',"notes":' || app.jtext(c.notes)
    || ',"cancel_reason":' || app.jtext(c.cancel_reason) || ',"conflicts":' || coalesce(conflicts::text, '[]')
    || ',"created_at":' || coalesce('"' || app.ts(c.created_at) || '"', 'null')
    || ',"updated_at":' || coalesce('"' || app.ts(c.updated_at) || '"', 'null') || '}')::json
$$;

-- The lists and gets of the workspace's data leave the workspace to the tables' policies
-- (forced for every role, this schema's definers too, and the same app.current_tenant()): a
-- filter of their own would be a second session probe in each statement, another InitPlan
-- (reminders keep theirs: their jobs policy admits every workspace inside a definer).
-- The conflicts of the page's pours come from the same scan: every pour of the days asked
-- (from the cursor's day on: a page never needs an earlier one), grouped by crew and day
-- before the filters, so another project's or status's pour of the same crew still counts.
-- A probe of the same crew's pours per row would be a second read of pours, with its own
-- session probe. The days asked are at most 92 (API.md).
CREATE OR REPLACE FUNCTION app.pours_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.pours_json_with(w.p, case when w.crew_id is not null and w.status <> 'canceled'
                                            and cardinality(array_remove(w.same, w.id)) > 0
                                       then ('["' || array_to_string(array_remove(w.same, w.id), '","') || '"]')::json end),
         w.d::text || '|' || w.id
  from (select c as p, c.scheduled_date as d, c.id, c.status, c.project_id, c.crew_id, c.tenant_id,
               array_agg(c.id) filter (where c.status <> 'canceled')
                 over (partition by c.crew_id, c.scheduled_date order by c.start_time nulls last, c.id
                       rows between unbounded preceding and unbounded following) as same
        from app.pours c
        where c.scheduled_date between greatest((f->>'from')::date, app.cursor_date(after)) and (f->>'to')::date) w
  where (f->>'status' is null or w.status = f->>'status')
    and (f->>'project_id' is null or w.project_id = (f->>'project_id')::uuid)
    and (f->>'crew_id' is null or w.crew_id = (f->>'crew_id')::uuid)
    and (f->>'region_id' is null or exists (select 1 from app.projects p where p.tenant_id = w.tenant_id
                                             and p.id = w.project_id and p.region_id = (f->>'region_id')::uuid))
    and (after is null or (w.d, w.id) > (app.cursor_date(after), app.cursor_id(after)))
  order by w.d, w.id
  limit lim + 1
$$;

-- Moving a pour moves its assignments (the foreign key assignments_pour_date_fk cascades), or is
-- 409 double_booked naming everyone of it already booked on the new date, and nothing changes.
-- Cancelling it releases its people (app.pours_release) and the answer counts them (released).
CREATE OR REPLACE FUNCTION app.pours_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  t uuid := (select app.current_tenant());
  o app.pours;
  c app.pours;
  day date;
  canceling boolean;
  n int;
begin
  perform app.schedule_lock();
  select * into o from app.pours x where x.tenant_id = t and x.id = p_id for update;
  if not found then
    return null;
  end if;
  day := case when b ? 'scheduled_date' then (b->>'scheduled_date')::date else o.scheduled_date end;
  canceling := coalesce(b->>'status' = 'canceled', false) and o.status <> 'canceled';
  if canceling then
    n := (select count(*) from app.assignments a where a.tenant_id = t and a.pour_id = p_id);
  elsif day is distinct from o.scheduled_date then
    perform app.pour_move_check(t, p_id, day);
  end if;
  begin
    update app.pours x set
      project_id = case when b ? 'project_id' then (b->>'project_id')::uuid else x.project_id end,
      scheduled_date = day,
      start_time = case when b ? 'start_time' then (b->>'start_time')::time else x.start_time end,
      volume_cy = case when b ? 'volume_cy' then (b->>'volume_cy')::numeric else x.volume_cy end,
      mix = case when b ? 'mix' then b->>'mix' else x.mix end,
      pump = case when b ? 'pump' then coalesce((b->>'pump')::boolean, false) else x.pump end,
      crew_id = case when b ? 'crew_id' then (b->>'crew_id')::uuid else x.crew_id end,
      crew_size_needed = case when b ? 'crew_size_needed' then coalesce((b->>'crew_size_needed')::int, 0)
                              else x.crew_size_needed end,
      status = case when b ? 'status' then coalesce(b->>'status', x.status) else x.status end,
      notes = case when b ? 'notes' then b->>'notes' else x.notes end,
      updated_at = now()
    where x.tenant_id = t and x.id = p_id
    returning x.* into c;
  exception when unique_violation then
    -- someone got booked on the new date after the check, by a path that does not queue on
    -- app.schedule_lock: name them as the check would have
    perform app.pour_move_check(t, p_id, day);
    raise;
  end;
  if canceling then
    return (app.pours_json(c)::jsonb || jsonb_build_object('released', n))::json;
  end if;
  return app.pours_json(c);
end $$;

-- 409 double_booked when someone assigned to the pour is assigned elsewhere on day; errors[]
-- names each of them, and where they are.
CREATE OR REPLACE FUNCTION app.pour_move_check(t uuid, p_id uuid, day date) RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  busy jsonb;
begin
  busy := (select jsonb_agg(jsonb_build_object('field', 'employee_id', 'code', 'double_booked',
                              'employee_id', a.employee_id, 'pour_id', b.pour_id, 'assignment_id', b.id,
                              'message', e.name || ' is already assigned on ' || day::text
                                         || case when b.pour_id is null then '' else ' (another pour)' end)
                            order by e.name, e.id)
           from app.assignments a
           join app.assignments b on b.tenant_id = a.tenant_id and b.employee_id = a.employee_id and b.date = day
                                 and b.id <> a.id
           join app.employees e on e.tenant_id = a.tenant_id and e.id = a.employee_id
           where a.tenant_id = t and a.pour_id = p_id and (b.pour_id is distinct from p_id));
  if busy is not null then
    raise exception using errcode = 'PY409',
      message = 'double_booked|' || jsonb_array_length(busy) || ' of this pour''s people are already assigned on '
                || day::text || '; nothing was changed',
      detail = busy::text;
  end if;
end $$;

-- Every change of the schedule (a pour's date or status, an assignment) takes this first, so
-- that two schedulers changing the same people queue instead of deadlocking. It is the lock
-- app.audit_write takes anyway for the audit row of the change, only taken earlier, before any row lock.
CREATE OR REPLACE FUNCTION app.schedule_lock() RETURNS void
    LANGUAGE sql
    AS $$
  select pg_advisory_xact_lock(74202, hashtext(app.current_tenant()::text))
$$;

CREATE OR REPLACE FUNCTION app.projects_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.projects as c (tenant_id, customer_id, name, address, zip, region_id, notes)
  values (app.current_tenant(), (b->>'customer_id')::uuid, b->>'name', b->>'address', b->>'zip',
          (b->>'region_id')::uuid, b->>'notes')
  returning app.projects_json(c)
$$;

CREATE OR REPLACE FUNCTION app.projects_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.projects c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE OR REPLACE FUNCTION app.projects_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.projects_json(c) from app.projects c where c.id = p_id);
end $$;

CREATE OR REPLACE FUNCTION app.projects_json(c app.projects) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select ('{"id":' || app.juuid(c.id) || ',"customer_id":' || app.juuid(c.customer_id) || ',"name":' || app.jtext(c.name)
    || ',"address":' || app.jtext(c.address) || ',"zip":' || app.jtext(c.zip) || ',"region_id":' || app.juuid(c.region_id)
    || ',"notes":' || app.jtext(c.notes) || ',"created_at":' || app.jts(c.created_at)
    || ',"updated_at":' || app.jts(c.updated_at) || '}')::json
$$;

CREATE OR REPLACE FUNCTION app.projects_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.projects_json(c), c.created_at::text || '|' || c.id
  from app.projects c
  where (f->>'customer_id' is null or c.customer_id = (f->>'customer_id')::uuid)
    and (f->>'region_id' is null or c.region_id = (f->>'region_id')::uuid)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE OR REPLACE FUNCTION app.projects_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.projects c set
    customer_id = case when b ? 'customer_id' then (b->>'customer_id')::uuid else c.customer_id end,
    name = case when b ? 'name' then b->>'name' else c.name end,
    address = case when b ? 'address' then b->>'address' else c.address end,
    zip = case when b ? 'zip' then b->>'zip' else c.zip end,
    region_id = case when b ? 'region_id' then (b->>'region_id')::uuid else c.region_id end,
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.projects_json(c)
$$;

CREATE OR REPLACE FUNCTION app.regions_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.regions as c (tenant_id, name) values (app.current_tenant(), b->>'name')
  returning app.regions_json(c)
$$;

CREATE OR REPLACE FUNCTION app.regions_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.regions c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE OR REPLACE FUNCTION app.regions_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.regions_json(c) from app.regions c where c.id = p_id);
end $$;

CREATE OR REPLACE FUNCTION app.regions_json(c app.regions) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', c.id, 'name', c.name, 'created_at', app.ts(c.created_at),
    'updated_at', app.ts(c.updated_at))
$$;

CREATE OR REPLACE FUNCTION app.regions_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.regions_json(c), c.created_at::text || '|' || c.id
  from app.regions c
  where (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE OR REPLACE FUNCTION app.regions_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.regions c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.regions_json(c)
$$;

-- The rules that span fields: "to" fits the channel, remind_at is in the future when set,
-- the subject exists in this workspace.
CREATE OR REPLACE FUNCTION app.reminders_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
begin
  if tg_op = 'INSERT' or new.remind_at is distinct from old.remind_at then
    if new.remind_at <= now() then
      perform app.bad('remind_at', 'invalid', 'remind_at must be in the future');
    end if;
  end if;
  if new.channel = 'email' and new."to" !~ '^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$' then
    perform app.bad('to', 'invalid', 'to must be an email address for the email channel');
  end if;
  if new.channel = 'sms' and new."to" !~ '^\+[1-9][0-9]{6,14}$' then
    perform app.bad('to', 'invalid', 'to must be an E.164 number (+15551234567) for the sms channel');
  end if;
  if (new.subject_type is null) <> (new.subject_id is null) then
    perform app.bad('subject_id', 'invalid', 'subject_type and subject_id go together');
  end if;
  if new.subject_id is not null and not (
       (new.subject_type = 'customer' and exists (select 1 from app.customers x where x.tenant_id = new.tenant_id and x.id = new.subject_id))
    or (new.subject_type = 'project' and exists (select 1 from app.projects x where x.tenant_id = new.tenant_id and x.id = new.subject_id))
    or (new.subject_type = 'pour' and exists (select 1 from app.pours x where x.tenant_id = new.tenant_id and x.id = new.subject_id))
    or (new.subject_type = 'trip' and exists (select 1 from app.trips x where x.tenant_id = new.tenant_id and x.id = new.subject_id))) then
    perform app.bad('subject_id', 'not_found', 'no such ' || new.subject_type || ' in this workspace');
  end if;
  return new;
end $_$;

CREATE OR REPLACE FUNCTION app.reminders_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.reminders as c (tenant_id, remind_at, channel, "to", message, subject_type, subject_id)
  values (app.current_tenant(), (b->>'remind_at')::timestamptz, b->>'channel', b->>'to', b->>'message',
          b->>'subject_type', (b->>'subject_id')::uuid)
  returning app.reminders_json(c)
$$;

CREATE OR REPLACE FUNCTION app.reminders_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.reminders c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE OR REPLACE FUNCTION app.reminders_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.reminders_json(c) from app.reminders c where c.tenant_id = (select app.current_tenant()) and c.id = p_id);
end $$;

CREATE OR REPLACE FUNCTION app.reminders_json(c app.reminders) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', c.id, 'remind_at', app.ts(c.remind_at), 'channel', c.channel, 'to', c."to",
    'message', c.message, 'subject_type', c.subject_type, 'subject_id', c.subject_id, 'status', c.status,
    'sent_at', app.ts(c.sent_at), 'attempts', c.attempts, 'created_at', app.ts(c.created_at),
    'updated_at', app.ts(c.updated_at))
$$;

CREATE OR REPLACE FUNCTION app.reminders_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.reminders_json(c), c.created_at::text || '|' || c.id
  from app.reminders c
  where c.tenant_id = (select app.current_tenant())
    and (f->>'status' is null or c.status = f->>'status')
    and (f->>'from' is null or c.remind_at >= (f->>'from')::date)
    and (f->>'to' is null or c.remind_at < (f->>'to')::date + 1)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE OR REPLACE FUNCTION app.reminders_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.reminders c set
    remind_at = case when b ? 'remind_at' then (b->>'remind_at')::timestamptz else c.remind_at end,
    channel = case when b ? 'channel' then b->>'channel' else c.channel end,
    "to" = case when b ? 'to' then b->>'to' else c."to" end,
    message = case when b ? 'message' then b->>'message' else c.message end,
    subject_type = case when b ? 'subject_type' then b->>'subject_type' else c.subject_type end,
    subject_id = case when b ? 'subject_id' then (b->>'subject_id')::uuid else c.subject_id end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.reminders_json(c)
$$;


-- An assignment on a pour is on the pour's date (filled in when left out, 400 when another) and
-- never on a canceled pour (409 pour_canceled). The pour is read FOR SHARE: a concurrent move or
-- cancel of it waits for this transaction, or this one for it and then sees its outcome. The
-- foreign key assignments_pour_date_fk holds the date whatever happens.
CREATE OR REPLACE FUNCTION app.assignments_follow_pour() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  p record;
begin
  if new.pour_id is null then
    return new;
  end if;
  select x.scheduled_date, x.status into p from app.pours x
    where x.tenant_id = new.tenant_id and x.id = new.pour_id for share;
  if not found then
    raise exception using errcode = 'foreign_key_violation', constraint = 'assignments_pour_fk',
      message = 'pour_id does not name a pour of this workspace';
  end if;
  if p.status = 'canceled' then
    raise exception using errcode = 'PY409', message = 'pour_canceled|this pour is canceled: it takes no assignments';
  end if;
  if new.date is null then
    new.date := p.scheduled_date;
  elsif new.date <> p.scheduled_date then
    perform app.bad('date', 'invalid', 'an assignment on a pour is on the pour''s date (' || p.scheduled_date::text || ')');
  end if;
  return new;
end $$;

-- A pour being canceled releases its people: its assignments go in the same transaction
-- (each audited as assignment.released).
CREATE OR REPLACE FUNCTION app.pours_release() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  delete from app.assignments a where a.tenant_id = new.tenant_id and a.pour_id = new.id;
  return new;
end $$;
