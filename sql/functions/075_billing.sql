-- Billing: the payment processor's events, the subscription as GET /billing shows it, what
-- a checkout or portal session needs to know, and the trial clock.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

-- The subscription states that keep a workspace going (API.md "Billing").
CREATE OR REPLACE FUNCTION app.billing_live(p_status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
  select coalesce(p_status in ('active', 'trialing', 'past_due'), false)
$$;

-- Applies one verified event. Returns 'duplicate', 'ignored' or the workspace's new status.
-- The card's brand and last four digits come with the events of its payment method
-- (payment_method.attached, at checkout and when the portal changes it) or of a charge
-- (charge.succeeded): those carry no workspace id, only the processor's customer, so they
-- belong to the workspace that customer is kept for (and are ignored when none is).
-- A subscription that lapses while the workspace's trial still runs leaves it to the trial
-- clock: the days promised are kept, and the end suspends it (app.trial_advance).
CREATE OR REPLACE FUNCTION app.billing_apply(e jsonb) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  o jsonb := e->'data'->'object';
  typ text := e->>'type';
  ws text := coalesce(o->>'client_reference_id', o->'metadata'->>'workspace_id',
                      o->'subscription_details'->'metadata'->>'workspace_id');
  t uuid;
  sub_status text;
  lapsed boolean;
  card jsonb := coalesce(o->'default_payment_method'->'card', o->'payment_method_details'->'card',
                        case when o->>'object' = 'payment_method' then o->'card' end);
  card_only boolean := typ in ('payment_method.attached', 'charge.succeeded');
  cur app.tenants;
  before app.billing;
  after app.billing;
  ch jsonb := '{}';
begin
  perform app.definer_enter(true);
  if e->>'id' is null then
    return 'ignored';
  end if;
  if exists (select 1 from app.billing_events where event_id = e->>'id') then
    return 'duplicate';
  end if;
  if card_only then
    select b.tenant_id into t from app.billing b where b.customer_id = o->>'customer' and o->>'customer' is not null
      order by b.updated_at desc limit 1;
  elsif ws ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select id into t from app.tenants where id = ws::uuid;
  end if;
  insert into app.billing_events (event_id, type, tenant_id) values (e->>'id', coalesce(typ, ''), t);
  if t is null or typ not in ('checkout.session.completed', 'customer.subscription.created',
      'customer.subscription.updated', 'customer.subscription.deleted', 'invoice.paid', 'invoice.payment_failed',
      'payment_method.attached', 'charge.succeeded') then
    return 'ignored';
  end if;
  perform set_config('app.definer_tenant', t::text, true);
  insert into app.billing (tenant_id) values (t) on conflict do nothing;
  select * into before from app.billing where tenant_id = t for update;
  sub_status := case
    when typ = 'customer.subscription.deleted' then 'canceled'
    when typ like 'customer.subscription.%' then o->>'status'
    -- the subscription's own event may have come first (its order is not guaranteed): a
    -- checkout of the subscription already known keeps the status that event gave
    when typ = 'checkout.session.completed' then
      case when before.status is not null and before.subscription_id = o->>'subscription' then before.status
           else 'active' end
    when typ = 'invoice.paid' then 'active'
    when typ = 'invoice.payment_failed' then 'past_due' end;
  if card_only then
    update app.billing b set card_brand = coalesce(card->>'brand', b.card_brand),
      card_last4 = coalesce(card->>'last4', b.card_last4), updated_at = now()
    where b.tenant_id = t
    returning * into after;
    if before.card_last4 is distinct from after.card_last4 or before.card_brand is distinct from after.card_brand then
      perform app.audit('billing.updated', 'workspace', t::text, jsonb_build_object('card',
        jsonb_build_array(before.card_brand || ' ' || before.card_last4, after.card_brand || ' ' || after.card_last4)));
    end if;
    return (select status from app.tenants where id = t);
  end if;
  update app.billing b set
    customer_id = coalesce(o->>'customer', b.customer_id),
    subscription_id = coalesce(case when typ like 'customer.subscription.%' then o->>'id' else o->>'subscription' end,
                               b.subscription_id),
    plan = coalesce(o->'metadata'->>'plan', o->'plan'->>'nickname', o->'plan'->>'id',
                    o->'items'->'data'->0->'price'->>'lookup_key', o->'items'->'data'->0->'price'->>'id', b.plan),
    status = coalesce(sub_status, b.status),
    card_brand = coalesce(card->>'brand', b.card_brand),
    card_last4 = coalesce(card->>'last4', b.card_last4),
    current_period_end = coalesce(to_timestamp((o->>'current_period_end')::double precision), b.current_period_end),
    updated_at = now()
  where b.tenant_id = t
  returning * into after;
  if before.status is distinct from after.status then
    ch := ch || jsonb_build_object('status', jsonb_build_array(before.status, after.status));
  end if;
  if before.plan is distinct from after.plan then
    ch := ch || jsonb_build_object('plan', jsonb_build_array(before.plan, after.plan));
  end if;
  if ch <> '{}' then
    perform app.audit('billing.updated', 'workspace', t::text, ch);
  end if;
  select * into cur from app.tenants where id = t for update;
  lapsed := sub_status in ('canceled', 'unpaid', 'incomplete_expired');
  if lapsed and cur.status = 'active' and cur.trial_ends_at <= now() then
    update app.tenants set status = 'suspended', suspended_at = now(), updated_at = now() where id = t;
  elsif app.billing_live(sub_status) and cur.status = 'suspended' then
    update app.tenants set status = 'active', suspended_at = null, updated_at = now() where id = t;
  end if;
  return (select status from app.tenants where id = t);
end $_$;

-- GET /billing. Before any subscription the status is the trial's: `trialing` until its end,
-- `trial_ended` after.
CREATE OR REPLACE FUNCTION app.billing_json() RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object(
    'status', coalesce(b.status, case when t.trial_ends_at > now() then 'trialing' else 'trial_ended' end),
    'plan', b.plan, 'card_brand', b.card_brand, 'card_last4', b.card_last4,
    'current_period_end', app.ts(b.current_period_end), 'trial_ends_at', app.ts(t.trial_ends_at),
    'portal_available', b.customer_id is not null)
  from app.tenants t left join app.billing b on b.tenant_id = t.id
  where t.id = (select app.current_tenant())
$$;

-- What a checkout or portal session of the caller's workspace needs (runs as the caller: the
-- billing row is the owner's to read).
CREATE OR REPLACE FUNCTION app.billing_account() RETURNS TABLE(tenant_id uuid, customer_id text, subscribed boolean, trial_end bigint, email text)
    LANGUAGE sql STABLE
    AS $$
  select t.id, b.customer_id, app.billing_live(b.status),
         case when t.trial_ends_at > now() then extract(epoch from t.trial_ends_at)::bigint end, u.email
  from app.tenants t
  left join app.billing b on b.tenant_id = t.id
  left join app.users u on u.id = (select app.current_user_id())
  where t.id = (select app.current_tenant())
$$;

-- The steps of the trial clock, in order.
CREATE OR REPLACE FUNCTION app.trial_rank(p_stage text) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$
  select coalesce(array_position(array['running', 'reminded_3d', 'reminded_1d', 'ended'], p_stage), 0)
$$;

-- The step of the clock that a trial ending at p_end has reached now.
CREATE OR REPLACE FUNCTION app.trial_stage_at(p_end timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  select case when p_end <= now() then 'ended'
              when p_end <= now() + interval '1 day' then 'reminded_1d'
              when p_end <= now() + interval '3 days' then 'reminded_3d'
              else 'running' end
$$;

-- Active workspaces without a subscription whose trial clock has a step due: only the latest
-- step (a clock that was not run for days skips reminders no longer true). The cron path's.
CREATE OR REPLACE FUNCTION app.trial_due() RETURNS TABLE(tenant_id uuid, stage text, name text, trial_ends_at text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select t.id, app.trial_stage_at(t.trial_ends_at), t.name, app.ts(t.trial_ends_at)
  from app.tenants t
  where t.status = 'active' and t.trial_stage <> 'ended' and t.trial_ends_at <= now() + interval '3 days'
    and app.trial_rank(app.trial_stage_at(t.trial_ends_at)) > app.trial_rank(t.trial_stage)
    and not exists (select 1 from app.billing b where b.tenant_id = t.id and app.billing_live(b.status))
  order by t.trial_ends_at
  limit 500
$$;

-- Takes one step of a workspace's trial clock, once: the workspace row is locked and the step
-- recorded with the mail to its owners queued (subject, sealed body) in this transaction, so
-- two cron calls at once queue it once. The end suspends the workspace as a lapse does (it is
-- deleted 30 days later, app.retention_run). Returns the step taken, or 'done' (taken
-- already, or no longer due: a subscription started, the end moved).
CREATE OR REPLACE FUNCTION app.trial_advance(p_tenant uuid, p_stage text, p_subject text, p_body bytea) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t app.tenants;
begin
  perform app.definer_enter(true);
  perform set_config('app.definer_tenant', p_tenant::text, true);
  select * into t from app.tenants where id = p_tenant for update;
  if not found or t.status <> 'active' or app.trial_rank(p_stage) <= app.trial_rank(t.trial_stage)
     or app.trial_rank(p_stage) > app.trial_rank(app.trial_stage_at(t.trial_ends_at))
     or exists (select 1 from app.billing b where b.tenant_id = p_tenant and app.billing_live(b.status)) then
    return 'done';
  end if;
  if p_stage = 'ended' then
    update app.tenants set trial_stage = p_stage, status = 'suspended', suspended_at = now(), updated_at = now()
      where id = p_tenant;
  else
    update app.tenants set trial_stage = p_stage, updated_at = now() where id = p_tenant;
  end if;
  insert into app.outbox (tenant_id, user_id, recipient, subject, body)
    select p_tenant, u.id, u.email, p_subject, p_body from app.memberships m join app.users u on u.id = m.user_id
    where m.tenant_id = p_tenant and m.role = 'owner';
  return p_stage;
end $$;
