-- Jobs and outside services: sending due reminders, billing events from the payment
-- processor, suspension and retention, the forecast cache.

-- Jobs (SECURITY DEFINER functions run as the schema owner) see reminders of every workspace.
create policy reminders_jobs on app.reminders for all using (app.is_definer()) with check (app.is_definer());

alter table app.outbox add column reminder_id uuid;

-- Claims due reminders (locked until the caller's transaction ends; a concurrent call skips
-- them), newest work first by time due.
create function app.reminders_claim(p_limit int)
returns table (tenant_id uuid, id uuid, channel text, recipient text, message text, attempts int)
language sql volatile security definer set search_path = pg_catalog, pg_temp as $$
  select r.tenant_id, r.id, r.channel, r."to", r.message, r.attempts from app.reminders r
  where r.status = 'pending' and r.remind_at <= now()
  order by r.remind_at, r.id
  limit p_limit
  for update skip locked
$$;

-- Records one attempt: 'sent', or a failure (failed after p_max attempts, else retried).
-- An email (or an SMS without a service) is handed to the outbox in the same transaction.
create function app.reminder_done(p_tenant uuid, p_id uuid, p_ok boolean, p_error text, p_max int,
  p_outbox_subject text, p_outbox_body bytea)
returns text language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  r app.reminders;
  result text;
begin
  perform set_config('app.definer_tenant', p_tenant::text, true);
  select * into r from app.reminders where tenant_id = p_tenant and id = p_id;
  if p_ok and p_outbox_body is not null then
    insert into app.outbox (tenant_id, channel, recipient, subject, body, reminder_id)
      values (p_tenant, r.channel, r."to", p_outbox_subject, p_outbox_body, r.id);
  end if;
  result := case when p_ok then 'sent' when r.attempts + 1 >= p_max then 'failed' else 'pending' end;
  update app.reminders set status = result, attempts = attempts + 1,
         sent_at = case when p_ok then now() end, last_error = case when p_ok then null else left(p_error, 500) end
    where tenant_id = p_tenant and id = p_id;
  if result <> 'pending' then
    perform app.audit('reminder.' || result, 'reminder', p_id::text, '{}');
  end if;
  return result;
end $$;

-- ---------------------------------------------------------------------------------------
-- Billing. Only the processor's customer id, card brand and last four, plan, status and
-- period end are kept.

create table app.billing (
  tenant_id uuid primary key references app.tenants on delete cascade,
  customer_id text,
  subscription_id text,
  plan text,
  status text,
  card_brand text,
  card_last4 text,
  current_period_end timestamptz,
  updated_at timestamptz not null default now()
);
alter table app.billing enable row level security;
alter table app.billing force row level security;
create policy billing_select on app.billing for select
  using (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 4));
create policy billing_insert on app.billing for insert with check (app.is_definer());
create policy billing_update on app.billing for update using (app.is_definer()) with check (app.is_definer());
create policy billing_delete on app.billing for delete using (app.is_definer());
grant select on app.billing to planyard_app;

create table app.billing_events (
  event_id text primary key,
  type text not null,
  tenant_id uuid,
  received_at timestamptz not null default now()
);
alter table app.billing_events enable row level security;
alter table app.billing_events force row level security;
create policy billing_events_definer on app.billing_events for all using (app.is_definer()) with check (app.is_definer());

create function app.billing_json() returns json language sql stable as $$
  select json_build_object('status', b.status, 'plan', b.plan, 'card_brand', b.card_brand,
    'card_last4', b.card_last4, 'current_period_end', app.ts(b.current_period_end))
  from (select 1) one left join app.billing b on b.tenant_id = app.current_tenant()
$$;

-- Applies one verified event. Returns 'duplicate', 'ignored' or the workspace's new status.
create function app.billing_apply(e jsonb) returns text
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  o jsonb := e->'data'->'object';
  typ text := e->>'type';
  ws text := coalesce(o->>'client_reference_id', o->'metadata'->>'workspace_id',
                      o->'subscription_details'->'metadata'->>'workspace_id');
  t uuid;
  sub_status text;
  lapsed boolean;
  card jsonb := coalesce(o->'default_payment_method'->'card', o->'payment_method_details'->'card');
  cur app.tenants;
begin
  if e->>'id' is null then
    return 'ignored';
  end if;
  if exists (select 1 from app.billing_events where event_id = e->>'id') then
    return 'duplicate';
  end if;
  if ws ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select id into t from app.tenants where id = ws::uuid;
  end if;
  insert into app.billing_events (event_id, type, tenant_id) values (e->>'id', coalesce(typ, ''), t);
  if t is null or typ not in ('checkout.session.completed', 'customer.subscription.created',
      'customer.subscription.updated', 'customer.subscription.deleted', 'invoice.paid', 'invoice.payment_failed') then
    return 'ignored';
  end if;
  perform set_config('app.definer_tenant', t::text, true);
  insert into app.billing (tenant_id) values (t) on conflict do nothing;
  sub_status := case
    when typ = 'customer.subscription.deleted' then 'canceled'
    when typ like 'customer.subscription.%' then o->>'status'
    when typ = 'checkout.session.completed' then 'active'
    when typ = 'invoice.paid' then 'active'
    when typ = 'invoice.payment_failed' then 'past_due' end;
  update app.billing b set
    customer_id = coalesce(o->>'customer', b.customer_id),
    subscription_id = coalesce(case when typ like 'customer.subscription.%' then o->>'id' else o->>'subscription' end,
                               b.subscription_id),
    plan = coalesce(o->'plan'->>'nickname', o->'plan'->>'id', o->'items'->'data'->0->'price'->>'lookup_key',
                    o->'items'->'data'->0->'price'->>'id', o->'metadata'->>'plan', b.plan),
    status = coalesce(sub_status, b.status),
    card_brand = coalesce(card->>'brand', b.card_brand),
    card_last4 = coalesce(card->>'last4', b.card_last4),
    current_period_end = coalesce(to_timestamp((o->>'current_period_end')::double precision), b.current_period_end),
    updated_at = now()
  where b.tenant_id = t;
  select * into cur from app.tenants where id = t;
  lapsed := sub_status in ('canceled', 'unpaid', 'incomplete_expired');
  if lapsed and cur.status = 'active' then
    update app.tenants set status = 'suspended', suspended_at = now(), updated_at = now() where id = t;
  elsif sub_status in ('active', 'trialing', 'past_due') and cur.status = 'suspended' then
    update app.tenants set status = 'active', suspended_at = null, updated_at = now() where id = t;
  end if;
  return (select status from app.tenants where id = t);
end $$;

-- A suspended workspace reads but does not write, in the database as well as in the server.
-- (Runs as the caller: inside a SECURITY DEFINER function app.current_tenant() would not
-- be the session's workspace.)
create function app.tenant_writable() returns boolean language sql stable as $$
  select coalesce((select t.status = 'active' from app.tenants t where t.id = app.current_tenant()), false)
$$;

do $$
declare t text;
begin
  foreach t in array array['customers', 'regions', 'projects', 'employees', 'crews', 'crew_members', 'pours',
                           'assignments', 'reminders'] loop
    execute format('drop policy %I on app.%I', t || '_insert', t);
    execute format('drop policy %I on app.%I', t || '_update', t);
    execute format('drop policy %I on app.%I', t || '_delete', t);
    execute format('create policy %I on app.%I for insert with check '
                   '(tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 2 '
                   'and (select app.tenant_writable()))', t || '_insert', t);
    execute format('create policy %I on app.%I for update '
                   'using (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 2 '
                   'and (select app.tenant_writable())) '
                   'with check (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 2 '
                   'and (select app.tenant_writable()))', t || '_update', t);
    execute format('create policy %I on app.%I for delete '
                   'using (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 2 '
                   'and (select app.tenant_writable()))', t || '_delete', t);
  end loop;
end $$;

-- Deletes workspaces suspended for more than 30 days, and users left without a workspace.
create function app.retention_run() returns int
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  n int;
begin
  delete from app.tenants where status = 'suspended' and suspended_at < now() - interval '30 days';
  get diagnostics n = row_count;
  delete from app.users u where not exists (select 1 from app.memberships m where m.user_id = u.id);
  return n;
end $$;

-- ---------------------------------------------------------------------------------------
-- Forecasts, cached per ZIP and day (no workspace data: only the ZIP and the date).

create table app.weather_cache (
  zip text not null,
  day date not null,
  payload jsonb not null,
  fetched_at timestamptz not null default now(),
  primary key (zip, day)
);
alter table app.weather_cache enable row level security;
alter table app.weather_cache force row level security;
create policy weather_cache_definer on app.weather_cache for all using (app.is_definer()) with check (app.is_definer());

create function app.weather_cached(p_zip text, p_day date) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select payload from app.weather_cache where zip = p_zip and day = p_day and fetched_at > now() - interval '3 hours'
$$;

create function app.weather_store(p_zip text, p_day date, p_payload jsonb) returns void
language sql volatile security definer set search_path = pg_catalog, pg_temp as $$
  insert into app.weather_cache (zip, day, payload) values (p_zip, p_day, p_payload)
  on conflict (zip, day) do update set payload = excluded.payload, fetched_at = now()
$$;

-- What a pour's forecast needs: its date and its project's ZIP (RLS applies: the caller's).
create function app.pour_weather_query(p_id uuid) returns table (day date, zip text)
language sql stable as $$
  select p.scheduled_date, pr.zip from app.pours p
  join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
  where p.tenant_id = app.current_tenant() and p.id = p_id
$$;

-- A pour's crew members with an email address, and the pour's details for the mail.
create function app.pour_notify_query(p_id uuid)
returns table (email text, name text, scheduled_date date, start_time text, volume_cy text, mix text, pump boolean,
               project text, address text, customer text, crew text)
language sql stable as $$
  select e.email, e.name, p.scheduled_date, app.hhmm(p.start_time), p.volume_cy::text, p.mix, p.pump,
         pr.name, pr.address, c.name, cr.name
  from app.pours p
  join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
  join app.customers c on c.tenant_id = pr.tenant_id and c.id = pr.customer_id
  left join app.crews cr on cr.tenant_id = p.tenant_id and cr.id = p.crew_id
  left join app.crew_members m on m.tenant_id = p.tenant_id and m.crew_id = p.crew_id
  left join app.employees e on e.tenant_id = m.tenant_id and e.id = m.employee_id and e.email is not null
  where p.tenant_id = app.current_tenant() and p.id = p_id
  order by e.name
$$;

-- Timeouts of the server's role hold on every connection, also through a pooler that can't
-- keep per-connection settings (the server sets the same per connection when it can).
alter role planyard_app set statement_timeout = '10s';
alter role planyard_app set idle_in_transaction_session_timeout = '20s';
