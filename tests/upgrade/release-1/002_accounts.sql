-- Accounts: workspaces (tenants), users, memberships, sessions, refresh tokens, one-time
-- tokens, password history, the mail outbox and rate-limit events.
--
-- planyard_app reaches these only under row-level security keyed to the live session whose
-- secret the request hands over (app.request_begin), or through the SECURITY DEFINER
-- functions below for the flows that come before a session (signup, login, reset, ...).

create table app.tenants (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique,
  name text not null,
  timezone text not null default 'UTC',
  primary_color text,
  require_mfa_for_admins boolean not null default false,
  status text not null default 'active' check (status in ('active', 'suspended')),
  suspended_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table app.users (
  id uuid primary key default gen_random_uuid(),
  email text not null,
  name text not null,
  password_hash text not null,
  email_confirmed_at timestamptz,
  totp_secret bytea,
  totp_enabled_at timestamptz,
  totp_last_step bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index users_email_key on app.users (lower(email));

create table app.memberships (
  tenant_id uuid not null references app.tenants on delete cascade,
  user_id uuid not null references app.users on delete cascade,
  role text not null check (role in ('viewer', 'scheduler', 'admin', 'owner')),
  created_at timestamptz not null default now(),
  primary key (tenant_id, user_id)
);
create index memberships_user on app.memberships (user_id);

create table app.sessions (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  user_id uuid not null,
  key_hash bytea not null unique,     -- SHA-256 of the session secret carried in access tokens
  key_sealed bytea not null,          -- the secret, sealed with the data key, to re-issue tokens
  aal text not null default 'aal1' check (aal in ('aal1', 'aal2')),
  created_at timestamptz not null default now(),
  last_used_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '30 days',
  revoked_at timestamptz,
  ip text,
  user_agent text,
  impersonation_id uuid,
  primary key (tenant_id, id),
  foreign key (tenant_id, user_id) references app.memberships (tenant_id, user_id) on delete cascade
);
create index sessions_user on app.sessions (tenant_id, user_id);

create table app.refresh_tokens (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  session_id uuid not null,
  token_hash bytea not null unique,
  successor_hash bytea,
  created_at timestamptz not null default now(),
  used_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, session_id) references app.sessions (tenant_id, id) on delete cascade
);

create table app.user_tokens (
  token_hash bytea primary key,
  user_id uuid not null references app.users on delete cascade,
  tenant_id uuid references app.tenants on delete cascade,
  kind text not null check (kind in ('confirm', 'reset')),
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index user_tokens_user on app.user_tokens (user_id);

create table app.password_history (
  user_id uuid not null references app.users on delete cascade,
  id bigserial,
  hash text not null,                 -- pbkdf2-sha256$ITER$SALT$HASH of the peppered password
  created_at timestamptz not null default now(),
  primary key (user_id, id)
);

create table app.outbox (
  id bigserial primary key,
  tenant_id uuid references app.tenants on delete cascade,
  user_id uuid references app.users on delete cascade,
  channel text not null default 'email' check (channel in ('email', 'sms')),
  recipient text not null,
  subject text not null,
  body bytea not null,                -- sealed with the data key: bodies carry one-time links
  created_at timestamptz not null default now(),
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  sent_at timestamptz,
  last_error text
);
create index outbox_pending on app.outbox (next_attempt_at) where sent_at is null;

create table app.rate_events (
  key text not null,
  at timestamptz not null default now()
);
create index rate_events_key on app.rate_events (key, at);

-- ---------------------------------------------------------------------------------------
-- The live session. Policies call these once per statement: (select app.current_tenant()).

-- True inside the SECURITY DEFINER functions of this schema (they run as its owner).
create function app.is_definer() returns boolean language sql stable as $$
  select current_user = (select r.rolname from pg_catalog.pg_namespace n
                         join pg_catalog.pg_roles r on r.oid = n.nspowner where n.nspname = 'app')
$$;

create function app.session_key_hash() returns bytea language sql stable as $$
  select pg_catalog.sha256(pg_catalog.convert_to(
           coalesce(nullif(pg_catalog.current_setting('app.session_key', true), ''), '-'), 'UTF8'))
$$;

-- The live session whose secret this transaction holds: not revoked, not past its 30 days,
-- used within 7 (an impersonation ends only at its own hard end). No row otherwise.
-- The hash is an InitPlan parameter: under forced row-level security the planner will not
-- use a qual with non-leakproof functions (current_setting, convert_to) as an index
-- condition, and would scan every session of every workspace instead of one index probe.
create function app.live_session() returns setof app.sessions language sql stable security definer
set search_path = pg_catalog, pg_temp as $$
  select s.* from app.sessions s
  where s.key_hash = (select app.session_key_hash()) and s.revoked_at is null and s.expires_at > now()
    and (s.impersonation_id is not null or s.last_used_at > now() - interval '7 days')
$$;

-- (its row carries key material: only this schema's SECURITY DEFINER functions call it)
revoke execute on function app.live_session() from public;

create function app.current_session_id() returns uuid language sql stable security definer
set search_path = pg_catalog, pg_temp as $$
  select id from app.live_session()
$$;

-- The live session's workspace. Inside this schema's SECURITY DEFINER functions (jobs such
-- as sending reminders) it is the workspace that function named in app.definer_tenant; for
-- every other role that setting is ignored, so setting it by hand gives nothing.
create function app.session_tenant() returns uuid language sql stable security definer
set search_path = pg_catalog, pg_temp as $$
  select tenant_id from app.live_session()
$$;

create function app.current_tenant() returns uuid language sql stable as $$
  select case when app.is_definer()
              then nullif(pg_catalog.current_setting('app.definer_tenant', true), '')::uuid
              else app.session_tenant() end
$$;

create function app.current_user_id() returns uuid language sql stable security definer
set search_path = pg_catalog, pg_temp as $$
  select user_id from app.live_session()
$$;

-- The role of the live session's user in its workspace, as a rank: 0 none .. 4 owner
-- (4 inside this schema's SECURITY DEFINER functions).
create function app.session_rank() returns int language sql stable security definer
set search_path = pg_catalog, pg_temp as $$
  select coalesce((
    select case m.role when 'viewer' then 1 when 'scheduler' then 2 when 'admin' then 3 when 'owner' then 4 end
    from app.live_session() s join app.memberships m on m.tenant_id = s.tenant_id and m.user_id = s.user_id), 0)
$$;

create function app.current_rank() returns int language sql stable as $$
  select case when app.is_definer() then 4 else app.session_rank() end
$$;

-- First statement of every signed-in request: hands the database the session secret (for
-- the rest of the transaction) and returns who is asking, or no row when the session is
-- not alive. No SET clause here: it would undo the set_config at return; so every relation
-- is schema-qualified (operators and functions resolve in pg_catalog first, never pg_temp).
create function app.request_begin(p_key text)
returns table (session_id uuid, user_id uuid, tenant_id uuid, role text, aal text, email text,
               impersonation_id uuid, tenant_status text, require_mfa boolean, mfa_enabled boolean)
language plpgsql volatile security definer as $$
declare
  s app.sessions;
  h bytea := pg_catalog.sha256(pg_catalog.convert_to(coalesce(p_key, ''), 'UTF8'));  -- a plain parameter: indexable
begin
  perform pg_catalog.set_config('app.session_key', coalesce(p_key, ''), true);
  select * into s from app.sessions x
  where x.key_hash = h
    and x.revoked_at is null and x.expires_at > pg_catalog.now()
    and (x.impersonation_id is not null or x.last_used_at > pg_catalog.now() - interval '7 days');
  if not found then
    return;
  end if;
  if s.last_used_at < pg_catalog.now() - interval '1 minute' then
    update app.sessions x set last_used_at = pg_catalog.now() where x.tenant_id = s.tenant_id and x.id = s.id;
  end if;
  return query
    select s.id, s.user_id, s.tenant_id, m.role, s.aal, u.email, s.impersonation_id, t.status,
           t.require_mfa_for_admins, u.totp_enabled_at is not null
    from app.memberships m
    join app.users u on u.id = m.user_id
    join app.tenants t on t.id = m.tenant_id
    where m.tenant_id = s.tenant_id and m.user_id = s.user_id;
end $$;

-- ---------------------------------------------------------------------------------------
-- Row-level security. The definer (schema owner) passes; planyard_app sees its own.

alter table app.tenants enable row level security;
alter table app.tenants force row level security;
create policy tenants_select on app.tenants for select using (app.is_definer() or id = (select app.current_tenant()));
create policy tenants_insert on app.tenants for insert with check (app.is_definer());
create policy tenants_update on app.tenants for update
  using (app.is_definer() or (id = (select app.current_tenant()) and (select app.current_rank()) >= 3))
  with check (app.is_definer() or (id = (select app.current_tenant()) and (select app.current_rank()) >= 3));
create policy tenants_delete on app.tenants for delete
  using (app.is_definer() or (id = (select app.current_tenant()) and (select app.current_rank()) >= 4));

alter table app.users enable row level security;
alter table app.users force row level security;
create policy users_select on app.users for select using (
  app.is_definer() or id = (select app.current_user_id())
  or exists (select 1 from app.memberships m where m.user_id = users.id and m.tenant_id = (select app.current_tenant())));
create policy users_insert on app.users for insert with check (app.is_definer());
create policy users_update on app.users for update
  using (app.is_definer() or id = (select app.current_user_id()))
  with check (app.is_definer() or id = (select app.current_user_id()));
create policy users_delete on app.users for delete using (app.is_definer());

alter table app.memberships enable row level security;
alter table app.memberships force row level security;
create policy memberships_select on app.memberships for select
  using (app.is_definer() or tenant_id = (select app.current_tenant()));
create policy memberships_insert on app.memberships for insert
  with check (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3));
create policy memberships_update on app.memberships for update
  using (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3))
  with check (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3));
create policy memberships_delete on app.memberships for delete
  using (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3));

alter table app.sessions enable row level security;
alter table app.sessions force row level security;
create policy sessions_select on app.sessions for select using (app.is_definer() or
  (tenant_id = (select app.current_tenant()) and user_id = (select app.current_user_id())));
create policy sessions_insert on app.sessions for insert with check (app.is_definer());
create policy sessions_update on app.sessions for update
  using (app.is_definer() or (tenant_id = (select app.current_tenant()) and user_id = (select app.current_user_id())))
  with check (app.is_definer() or (tenant_id = (select app.current_tenant()) and user_id = (select app.current_user_id())));
create policy sessions_delete on app.sessions for delete using (app.is_definer());

-- Tables reached only through the functions below.
do $$
declare t text;
begin
  foreach t in array array['refresh_tokens', 'user_tokens', 'password_history', 'outbox', 'rate_events'] loop
    execute format('alter table app.%I enable row level security', t);
    execute format('alter table app.%I force row level security', t);
    execute format('create policy %I on app.%I for all using (app.is_definer()) with check (app.is_definer())',
                   t || '_definer', t);
  end loop;
end $$;

grant select, update on app.tenants to planyard_app;
grant select, update (name, updated_at) on app.users to planyard_app;
grant select on app.memberships to planyard_app;
grant select, update (revoked_at) on app.sessions to planyard_app;
grant execute on function app.request_begin(text), app.current_tenant(), app.session_tenant(),
  app.current_user_id(),
  app.current_session_id(), app.current_rank(), app.session_rank(), app.is_definer(), app.session_key_hash()
  to planyard_app;

-- Temporary tables could shadow names inside SECURITY DEFINER functions.
do $$ begin execute format('revoke temporary on database %I from public', current_database()); end $$;
