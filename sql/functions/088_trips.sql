-- Trips and their travellers (API.md "Operating data", the collections /trips and
-- /travelers), the reminders a trip makes from templates and keeps in step with its dates,
-- the workspace's kind chosen at signup, and erasing a trip's or traveller's history.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

-- ---- trips ----

CREATE OR REPLACE FUNCTION app.trips_json(c app.trips) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', c.id, 'customer_id', c.customer_id, 'name', c.name,
    'start_date', c.start_date, 'end_date', c.end_date, 'destination', c.destination, 'status', c.status,
    'notes', c.notes, 'created_at', app.ts(c.created_at), 'updated_at', app.ts(c.updated_at))
$$;

CREATE OR REPLACE FUNCTION app.trips_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.trips as c (tenant_id, customer_id, name, start_date, end_date, destination, status, notes)
  values (app.current_tenant(), (b->>'customer_id')::uuid, b->>'name', (b->>'start_date')::date,
          (b->>'end_date')::date, b->>'destination', coalesce(b->>'status', 'inquiry'), b->>'notes')
  returning app.trips_json(c)
$$;

CREATE OR REPLACE FUNCTION app.trips_get(p_id uuid) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select app.trips_json(c) from app.trips c where c.tenant_id = (select app.current_tenant()) and c.id = p_id
$$;

-- from/to select the trips that overlap the range, by their days; the list is by start date.
CREATE OR REPLACE FUNCTION app.trips_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.trips_json(c), c.start_date::text || '|' || c.id
  from app.trips c
  where c.tenant_id = (select app.current_tenant())
    and (f->>'from' is null or c.end_date >= (f->>'from')::date)
    and (f->>'to' is null or c.start_date <= (f->>'to')::date)
    and (f->>'customer_id' is null or c.customer_id = (f->>'customer_id')::uuid)
    and (f->>'status' is null or c.status = f->>'status')
    and (after is null or (c.start_date, c.id) > (app.cursor_date(after), app.cursor_id(after)))
  order by c.start_date, c.id
  limit lim + 1
$$;

CREATE OR REPLACE FUNCTION app.trips_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.trips c set
    customer_id = case when b ? 'customer_id' then (b->>'customer_id')::uuid else c.customer_id end,
    name = case when b ? 'name' then b->>'name' else c.name end,
    start_date = case when b ? 'start_date' then (b->>'start_date')::date else c.start_date end,
    end_date = case when b ? 'end_date' then (b->>'end_date')::date else c.end_date end,
    destination = case when b ? 'destination' then b->>'destination' else c.destination end,
    status = coalesce(b->>'status', c.status),
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.trips_json(c)
$$;

CREATE OR REPLACE FUNCTION app.trips_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.trips c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

-- A trip ends on or after the day it starts (400 naming end_date, before the table's check).
CREATE OR REPLACE FUNCTION app.trips_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if new.end_date < new.start_date then
    perform app.bad('end_date', 'invalid', 'end_date must be on or after start_date');
  end if;
  return new;
end $$;

-- A trip that starts on another day takes its pending reminders along, at the same time of
-- day in the workspace's time zone. One already due by then is sent at the next run.
CREATE OR REPLACE FUNCTION app.trips_move_reminders() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  tz text := coalesce((select t.timezone from app.tenants t where t.id = new.tenant_id), 'UTC');
  shift integer := new.start_date - old.start_date;
begin
  update app.reminders r set
    remind_at = greatest(((r.remind_at at time zone tz) + make_interval(days => shift)) at time zone tz,
                         now() + interval '1 minute'),
    updated_at = now()
  where r.tenant_id = new.tenant_id and r.subject_type = 'trip' and r.subject_id = new.id and r.status = 'pending';
  return null;
end $$;

-- A trip's reminders are its own: they go when it does (each audited as reminder.deleted).
CREATE OR REPLACE FUNCTION app.trips_drop_reminders() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  delete from app.reminders r where r.tenant_id = old.tenant_id and r.subject_type = 'trip' and r.subject_id = old.id;
  return old;
end $$;

-- POST /trips/{id}/reminders: the reminders of a template on the trip's dates, at "at"
-- (09:00 unless given) in the workspace's time zone: final_payment 30 days before the start,
-- documents 7 days before, standard both. One whose time has passed is skipped (and named in
-- "skipped"). NULL when the trip is not this workspace's.
CREATE OR REPLACE FUNCTION app.trip_reminders_create(p_id uuid, b jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  t uuid := (select app.current_tenant());
  tr app.trips;
  tz text;
  at time := coalesce((b->>'at')::time, time '09:00');
  tpl text;
  due timestamptz;
  made jsonb := '[]';
  skipped jsonb := '[]';
  rem app.reminders;
begin
  select * into tr from app.trips x where x.tenant_id = t and x.id = p_id for update;
  if not found then
    return null;
  end if;
  tz := coalesce((select x.timezone from app.tenants x where x.id = t), 'UTC');
  for tpl in select e from unnest(case b->>'template' when 'standard' then array['final_payment', 'documents']
                                    else array[b->>'template'] end) e loop
    due := ((case tpl when 'final_payment' then tr.start_date - 30
                      when 'documents' then tr.start_date - 7 end) + at) at time zone tz;
    if due is null then
      perform app.bad('template', 'invalid', 'template is standard, final_payment or documents');
    end if;
    if due <= now() then
      skipped := skipped || to_jsonb(tpl);
      continue;
    end if;
    insert into app.reminders as c (tenant_id, remind_at, channel, "to", message, subject_type, subject_id)
    values (t, due, b->>'channel', b->>'to',
            -- no date in the words: the reminder moves with the trip, its message stays true
            case tpl when 'final_payment' then 'Final payment for ' || tr.name || ' is due: the trip starts in 30 days'
                     else 'Travel documents for ' || tr.name || ': the trip starts in a week' end,
            'trip', p_id)
    returning c.* into rem;
    made := made || app.reminders_json(rem)::jsonb;
  end loop;
  return json_build_object('data', made, 'skipped', skipped);
end $$;

-- ---- travelers ----

CREATE OR REPLACE FUNCTION app.travelers_json(c app.travelers) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', c.id, 'trip_id', c.trip_id, 'name', c.name, 'birth_date', c.birth_date,
    'contact', c.contact, 'notes', c.notes, 'created_at', app.ts(c.created_at), 'updated_at', app.ts(c.updated_at))
$$;

CREATE OR REPLACE FUNCTION app.travelers_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.travelers as c (tenant_id, trip_id, name, birth_date, contact, notes)
  values (app.current_tenant(), (b->>'trip_id')::uuid, b->>'name', (b->>'birth_date')::date, b->>'contact', b->>'notes')
  returning app.travelers_json(c)
$$;

CREATE OR REPLACE FUNCTION app.travelers_get(p_id uuid) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select app.travelers_json(c) from app.travelers c where c.tenant_id = (select app.current_tenant()) and c.id = p_id
$$;

CREATE OR REPLACE FUNCTION app.travelers_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.travelers_json(c), c.created_at::text || '|' || c.id
  from app.travelers c
  where c.tenant_id = (select app.current_tenant())
    and (f->>'trip_id' is null or c.trip_id = (f->>'trip_id')::uuid)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE OR REPLACE FUNCTION app.travelers_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.travelers c set
    trip_id = case when b ? 'trip_id' then (b->>'trip_id')::uuid else c.trip_id end,
    name = case when b ? 'name' then b->>'name' else c.name end,
    birth_date = case when b ? 'birth_date' then (b->>'birth_date')::date else c.birth_date end,
    contact = case when b ? 'contact' then b->>'contact' else c.contact end,
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.travelers_json(c)
$$;

CREATE OR REPLACE FUNCTION app.travelers_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.travelers c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

-- GET /trips/{id}/travelers: the trip's travellers, oldest first, as a list answer (one
-- page: a trip has a handful). NULL when the trip is not this workspace's.
CREATE OR REPLACE FUNCTION app.trip_travelers(p_id uuid) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('data', coalesce((select json_agg(app.travelers_json(c) order by c.created_at, c.id)
                                             from app.travelers c where c.tenant_id = x.tenant_id and c.trip_id = x.id),
                                            '[]'::json), 'next_cursor', null)
  from app.trips x where x.tenant_id = (select app.current_tenant()) and x.id = p_id
$$;

-- POST /trips/{id}/travelers: a traveller of that trip. NULL when the trip is not this
-- workspace's.
CREATE OR REPLACE FUNCTION app.trip_travelers_create(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  select app.travelers_create(b || jsonb_build_object('trip_id', x.id))
  from app.trips x where x.tenant_id = (select app.current_tenant()) and x.id = p_id
$$;

-- ---- the workbooks ----

CREATE OR REPLACE FUNCTION app.export_trips(p_from date, p_to date)
    RETURNS TABLE(start_date date, end_date date, name text, customer text, destination text, status text,
                  travelers bigint, notes text)
    LANGUAGE sql STABLE
    AS $$
  select x.start_date, x.end_date, x.name, c.name, x.destination, x.status,
         (select count(*) from app.travelers v where v.tenant_id = x.tenant_id and v.trip_id = x.id), x.notes
  from app.trips x join app.customers c on c.tenant_id = x.tenant_id and c.id = x.customer_id
  where x.tenant_id = (select app.current_tenant()) and x.end_date >= p_from and x.start_date <= p_to
  order by x.start_date, x.name, x.id
$$;

CREATE OR REPLACE FUNCTION app.export_travelers(p_from date, p_to date)
    RETURNS TABLE(trip text, start_date date, end_date date, name text, birth_date date, contact text, notes text)
    LANGUAGE sql STABLE
    AS $$
  select x.name, x.start_date, x.end_date, v.name, v.birth_date, v.contact, v.notes
  from app.travelers v join app.trips x on x.tenant_id = v.tenant_id and x.id = v.trip_id
  where v.tenant_id = (select app.current_tenant()) and x.end_date >= p_from and x.start_date <= p_to
  order by x.start_date, x.name, x.id, v.created_at, v.id
$$;

-- ---- the workspace's kind ----

-- Signup names the kind in planyard.signup_kind for its transaction (src/api/auth.c): the
-- workspace is made by app.auth_signup, which knows nothing of kinds.
CREATE OR REPLACE FUNCTION app.tenants_signup_kind() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  k text := current_setting('planyard.signup_kind', true);
begin
  if k in ('field', 'trips') then
    new.kind := k;
  end if;
  return new;
end $$;

-- ---- erasure ----

-- DELETE /travelers/{id} or /trips/{id} with erase_history, after the record is gone, and
-- DELETE /customers/{id} with it after app.audit_erase_record: the changes of every row
-- about the traveller, or about the trip and each of its travellers and reminders, or about
-- each trip the customer had; and the mail sent to a traveller's contact. False when the
-- record still exists.
CREATE OR REPLACE FUNCTION app.audit_erase_trip_record(p_type text, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
  trips text[];
  people text[];
  marks text[];
  n integer;
begin
  perform app.definer_enter(false);
  perform set_config('app.definer_tenant', coalesce(t::text, ''), true);
  if t is null or p_type not in ('traveler', 'trip', 'customer') or p_id is null
     or (p_type = 'traveler' and exists (select 1 from app.travelers x where x.tenant_id = t and x.id = p_id))
     or (p_type = 'trip' and exists (select 1 from app.trips x where x.tenant_id = t and x.id = p_id))
     or (p_type = 'customer' and exists (select 1 from app.customers x where x.tenant_id = t and x.id = p_id)) then
    return false;
  end if;
  trips := case p_type when 'trip' then array[p_id::text]
                       when 'customer' then array(select distinct a.entity_id from app.audit_log a
                                                  where a.tenant_id = t and a.entity_type = 'trip'
                                                    and p_id::text in (a.changes->'customer_id'->>0, a.changes->'customer_id'->>1))
                       else '{}' end;
  people := case when p_type = 'traveler' then array[p_id::text]
                 else array(select distinct a.entity_id from app.audit_log a
                            where a.tenant_id = t and a.entity_type = 'traveler'
                              and (a.changes->'trip_id'->>0 = any (trips) or a.changes->'trip_id'->>1 = any (trips))) end;
  select array_agg(distinct lower(v)) into marks
  from app.audit_log a, lateral (values (a.changes->'contact'->>0), (a.changes->'contact'->>1)) x(v)
  where a.tenant_id = t and a.entity_type = 'traveler' and a.entity_id = any (people) and length(v) >= 5;
  n := app.audit_erase_fields(t, array(
         select a.id from app.audit_log a where a.tenant_id = t
           and ((a.entity_type = 'trip' and a.entity_id = any (trips))
                or (a.entity_type = 'traveler' and a.entity_id = any (people))
                or (a.entity_type = 'reminder' and (a.changes->'subject_id'->>0 = any (trips)
                                                    or a.changes->'subject_id'->>1 = any (trips)))
                or exists (select 1 from unnest(coalesce(marks, '{}')) m where strpos(lower(a.changes::text), m) > 0))),
         array[2]);
  delete from app.outbox o where o.tenant_id = t and lower(o.recipient) = any (coalesce(marks, '{}'));
  if p_type <> 'customer' then
    perform app.audit_session('audit.personal_data_erased', p_type, p_id::text,
                              jsonb_build_object('rows', jsonb_build_array(null, n)));
  end if;
  return true;
end $$;

-- ---- triggers ----

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.trips FOR EACH ROW EXECUTE FUNCTION app.audit_row('trip');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.travelers FOR EACH ROW EXECUTE FUNCTION app.audit_row('traveler');

CREATE OR REPLACE TRIGGER trips_check BEFORE INSERT OR UPDATE OF start_date, end_date ON app.trips FOR EACH ROW EXECUTE FUNCTION app.trips_check();

CREATE OR REPLACE TRIGGER trips_move_reminders AFTER UPDATE OF start_date ON app.trips FOR EACH ROW WHEN ((new.start_date <> old.start_date)) EXECUTE FUNCTION app.trips_move_reminders();

CREATE OR REPLACE TRIGGER trips_drop_reminders BEFORE DELETE ON app.trips FOR EACH ROW EXECUTE FUNCTION app.trips_drop_reminders();

CREATE OR REPLACE TRIGGER tenants_signup_kind BEFORE INSERT ON app.tenants FOR EACH ROW EXECUTE FUNCTION app.tenants_signup_kind();

-- ---- policies (as the other operating data, sql/functions/900_policies.sql) ----

DROP POLICY IF EXISTS trips_delete ON app.trips;
CREATE POLICY trips_delete ON app.trips FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS trips_insert ON app.trips;
CREATE POLICY trips_insert ON app.trips FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS trips_select ON app.trips;
CREATE POLICY trips_select ON app.trips FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

DROP POLICY IF EXISTS trips_update ON app.trips;
CREATE POLICY trips_update ON app.trips FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS travelers_delete ON app.travelers;
CREATE POLICY travelers_delete ON app.travelers FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS travelers_insert ON app.travelers;
CREATE POLICY travelers_insert ON app.travelers FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS travelers_select ON app.travelers;
CREATE POLICY travelers_select ON app.travelers FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

DROP POLICY IF EXISTS travelers_update ON app.travelers;
CREATE POLICY travelers_update ON app.travelers FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));
