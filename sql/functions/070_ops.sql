-- Operations: the schedule, weather and exports (billing: 075_billing.sql).
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

drop function if exists app.reminders_claim(integer);
drop function if exists app.reminders_claim(integer, integer, uuid[]);

-- A pour's crew members with an email address, and the pour's details for the mail.
CREATE OR REPLACE FUNCTION app.pour_notify_query(p_id uuid) RETURNS TABLE(email text, name text, scheduled_date date, start_time text, volume_cy text, mix text, pump boolean, project text, address text, customer text, crew text)
    LANGUAGE sql STABLE
    AS $$
  select e.email, e.name, p.scheduled_date, app.hhmm(p.start_time), p.volume_cy::text, p.mix, p.pump,
         pr.name, pr.address, c.name, cr.name
  from app.pours p
  join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
  join app.customers c on c.tenant_id = pr.tenant_id and c.id = pr.customer_id
  left join app.crews cr on cr.tenant_id = p.tenant_id and cr.id = p.crew_id
  left join app.crew_members m on m.tenant_id = p.tenant_id and m.crew_id = p.crew_id
  left join app.employees e on e.tenant_id = m.tenant_id and e.id = m.employee_id and e.email is not null
  where p.tenant_id = (select app.current_tenant()) and p.id = p_id
  order by e.name
$$;

-- What a pour's forecast needs: its date and its project's ZIP (RLS applies: the caller's).
CREATE OR REPLACE FUNCTION app.pour_weather_query(p_id uuid) RETURNS TABLE(day date, zip text)
    LANGUAGE sql STABLE
    AS $$
  select p.scheduled_date, pr.zip from app.pours p
  join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
  where p.tenant_id = (select app.current_tenant()) and p.id = p_id
$$;

-- Records one attempt of a claimed reminder: 'sent', or a failure (failed after p_max
-- attempts, else due again at once). An email (or an SMS without a service) is handed to the
-- outbox in the same transaction. A reminder that is no longer pending (a second sender took
-- it after its lease ran out and finished first) keeps its outcome: nothing is queued twice.
CREATE OR REPLACE FUNCTION app.reminder_done(p_tenant uuid, p_id uuid, p_ok boolean, p_error text, p_max integer, p_outbox_subject text, p_outbox_body bytea) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  r app.reminders;
  result text;
begin
  perform app.definer_enter(true);
  perform set_config('app.definer_tenant', p_tenant::text, true);
  select * into r from app.reminders where tenant_id = p_tenant and id = p_id for update;
  if not found then
    return 'gone';
  end if;
  if r.status <> 'pending' then
    return 'done';
  end if;
  if p_ok and p_outbox_body is not null then
    insert into app.outbox (tenant_id, channel, recipient, subject, body, reminder_id)
      values (p_tenant, r.channel, r."to", p_outbox_subject, p_outbox_body, r.id);
  end if;
  result := case when p_ok then 'sent' when r.attempts + 1 >= p_max then 'failed' else 'pending' end;
  update app.reminders set status = result, attempts = attempts + 1, claimed_until = null,
         sent_at = case when p_ok then now() end, last_error = case when p_ok then null else left(p_error, 500) end
    where tenant_id = p_tenant and id = p_id;
  if result <> 'pending' then
    perform app.audit('reminder.' || result, 'reminder', p_id::text, '{}');
  end if;
  return result;
end $$;

-- Claims due reminders with a lease, in a statement that commits at once: a concurrent call
-- skips them, and they are due again only once the lease has run out (their sender died).
-- Oldest due first, past those the caller names in p_skip (what it has tried already: a failed
-- attempt leaves the reminder pending and unclaimed, for the next call to retry).
CREATE OR REPLACE FUNCTION app.reminders_claim(p_limit integer, p_lease_s integer, p_skip uuid[]) RETURNS TABLE(tenant_id uuid, id uuid, channel text, recipient text, message text, attempts integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.definer_enter(true);
  -- picked once (a CTE), so no plan claims more than p_limit (see app.outbox_claim)
  return query
  with due as materialized (
    select d.tenant_id, d.id from app.reminders d
    where d.status = 'pending' and d.remind_at <= now() and (d.claimed_until is null or d.claimed_until <= now())
      and d.id <> all(coalesce(p_skip, '{}'))
    order by d.remind_at, d.id
    limit least(greatest(p_limit, 0), 200)
    for update skip locked)
  update app.reminders r set claimed_until = now() + make_interval(secs => greatest(p_lease_s, 1))
  from due
  where r.tenant_id = due.tenant_id and r.id = due.id
  returning r.tenant_id, r.id, r.channel, r."to", r.message, r.attempts;
end $$;

-- Deletes workspaces suspended for more than 30 days, and users left without a workspace.
CREATE OR REPLACE FUNCTION app.retention_run() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  n int;
begin
  perform app.definer_enter(true);
  delete from app.tenants where status = 'suspended' and suspended_at < now() - interval '30 days';
  get diagnostics n = row_count;
  delete from app.users u where not exists (select 1 from app.memberships m where m.user_id = u.id);
  return n;
end $$;

-- A suspended workspace reads but does not write, in the database as well as in the server.
-- (Runs as the caller: inside a SECURITY DEFINER function app.current_tenant() would not
-- be the session's workspace.)
CREATE OR REPLACE FUNCTION app.tenant_writable() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select coalesce((select t.status = 'active' from app.tenants t where t.id = (select app.current_tenant())), false)
$$;

CREATE OR REPLACE FUNCTION app.weather_cached(p_zip text, p_day date) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select payload from app.weather_cache where zip = p_zip and day = p_day and fetched_at > now() - interval '3 hours'
    and app.current_user_id() is not null
$$;

CREATE OR REPLACE FUNCTION app.weather_store(p_zip text, p_day date, p_payload jsonb) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  insert into app.weather_cache (zip, day, payload) select p_zip, p_day, p_payload
  where app.current_user_id() is not null
  on conflict (zip, day) do update set payload = excluded.payload, fetched_at = now()
$$;
