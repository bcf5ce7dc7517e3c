-- Workspaces, accounts and the request context: who the live session is, what it may do.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

CREATE OR REPLACE FUNCTION app.current_rank() RETURNS integer
    LANGUAGE sql STABLE
    AS $$
  select case when app.is_definer() then 4 else app.session_rank() end
$$;

CREATE OR REPLACE FUNCTION app.current_session_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select (app.session_context()).id
$$;

CREATE OR REPLACE FUNCTION app.current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select case when app.is_definer()
              then nullif(pg_catalog.current_setting('app.definer_tenant', true), '')::uuid
              else app.session_tenant() end
$$;

CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select (app.session_context()).user_id
$$;

-- First statement of every SECURITY DEFINER flow that writes: the settings app.audit reads
-- inside such a flow (the workspace and actor of a job's rows, and for flows before a
-- session, the client address) are cleared, so only what the flow itself sets afterwards
-- names a workspace or actor; whatever its caller set beforehand is never believed.
-- p_presession: also app.client_ip (a signed-in request's is the gate's, for its own session).
CREATE OR REPLACE FUNCTION app.definer_enter(p_presession boolean) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select pg_catalog.set_config('app.definer_tenant', '', true), pg_catalog.set_config('app.definer_actor', '', true),
         case when p_presession then pg_catalog.set_config('app.client_ip', '', true) end
$$;

-- True inside this schema's SECURITY DEFINER functions (and triggers they fire): the current
-- user is the owner of schema app. It runs in every policy check of every statement, so the
-- owner's name is written in when this file is applied (an inlined constant comparison)
-- instead of being looked up in the catalog on each call.
do $$
declare
  owner name := (select r.rolname from pg_catalog.pg_namespace n join pg_catalog.pg_roles r on r.oid = n.nspowner
                 where n.nspname = 'app');
begin
  execute format('create or replace function app.is_definer() returns boolean language sql stable as %L',
                 format('select current_user = %L::name', owner));
end $$;

-- Whether a session row is live: not revoked, not past its 30 days, used within 7 (an
-- impersonation ends only at its own hard end). Inlined where it is used.
CREATE OR REPLACE FUNCTION app.session_alive(s app.sessions) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select s.revoked_at is null and s.expires_at > pg_catalog.now()
     and (s.impersonation_id is not null or s.last_used_at > pg_catalog.now() - interval '7 days')
$$;

-- The live session whose secret this transaction holds; no row otherwise. PL/pgSQL, not
-- SQL: a SECURITY DEFINER SQL function is planned again at every call, a PL/pgSQL one keeps
-- its plan for the connection. The hash is a variable, so the probe is one index lookup:
-- under forced row-level security the planner will not use a qual with non-leakproof
-- functions (current_setting, convert_to) as an index condition.
CREATE OR REPLACE FUNCTION app.live_session() RETURNS SETOF app.sessions
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  h bytea := app.session_key_hash();
begin
  return query select s.* from app.sessions s where s.key_hash = h and app.session_alive(s);
end $$;

-- Who the live session is, for the policies and the accessors below (current_session_id,
-- current_user_id, session_tenant: inlined SQL around this one call, so a policy's InitPlan
-- costs one index probe of sessions). All NULL when no session is live.
CREATE OR REPLACE FUNCTION app.session_context(OUT id uuid, OUT tenant_id uuid, OUT user_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  h bytea := app.session_key_hash();
begin
  select s.id, s.tenant_id, s.user_id into id, tenant_id, user_id
  from app.sessions s where s.key_hash = h and app.session_alive(s);
end $$;

-- First statement of every signed-in request: hands the database the session secret (for
-- the rest of the transaction) and returns who is asking, or no row when the session is
-- not alive. No SET clause here: it would undo the set_config at return; so every relation
-- is schema-qualified (operators and functions resolve in pg_catalog first, never pg_temp).
CREATE OR REPLACE FUNCTION app.request_begin(p_key text) RETURNS TABLE(session_id uuid, user_id uuid, tenant_id uuid, role text, aal text, email text, impersonation_id uuid, tenant_status text, require_mfa boolean, mfa_enabled boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    AS $$
declare
  s app.sessions;
  h bytea := pg_catalog.sha256(pg_catalog.convert_to(coalesce(p_key, ''), 'UTF8'));  -- a plain parameter: indexable
begin
  perform pg_catalog.set_config('app.session_key', coalesce(p_key, ''), true);
  select * into s from app.sessions x where x.key_hash = h and app.session_alive(x);
  if not found then
    return;
  end if;
  -- (not on a read-only server: reads go on while writes can't)
  if s.last_used_at < pg_catalog.now() - interval '1 minute'
     and pg_catalog.current_setting('transaction_read_only') = 'off' then
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

-- Who is signed in, for GET /me and the tokens answer: the live session whose secret the
-- transaction holds, with its user, workspace, membership and staff grant; no row otherwise.
-- A definer like request_begin, reading only that session's own rows: one probe of sessions
-- instead of the policies' own on each of five tables.
CREATE OR REPLACE FUNCTION app.session_profile()
    RETURNS TABLE(user_id uuid, email text, name text, email_confirmed_at text, mfa_enabled boolean,
                  tenant_id uuid, slug text, tenant_name text, timezone text, primary_color text,
                  require_mfa_for_admins boolean, tenant_status text, role text, session_id uuid,
                  expires_at text, aal text, impersonation_id uuid, staff text, reason text,
                  impersonation_expires_at text, kind text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  h bytea := app.session_key_hash();
begin
  return query
    select u.id, u.email, u.name, app.ts(u.email_confirmed_at), u.totp_enabled_at is not null,
           t.id, t.slug, t.name, t.timezone, t.primary_color, t.require_mfa_for_admins, t.status,
           m.role, s.id, app.ts(s.expires_at), s.aal, s.impersonation_id, i.staff, i.reason,
           app.ts(i.expires_at), t.kind
    from (select x.* from app.sessions x where x.key_hash = h and app.session_alive(x) offset 0) s  -- first, by its key
    join app.users u on u.id = s.user_id
    join app.tenants t on t.id = s.tenant_id
    join app.memberships m on m.tenant_id = s.tenant_id and m.user_id = s.user_id
    left join app.impersonations i on i.tenant_id = s.tenant_id and i.id = s.impersonation_id;
end $$;

CREATE OR REPLACE FUNCTION app.session_key_hash() RETURNS bytea
    LANGUAGE sql STABLE
    AS $$
  select pg_catalog.sha256(pg_catalog.convert_to(
           coalesce(nullif(pg_catalog.current_setting('app.session_key', true), ''), '-'), 'UTF8'))
$$;

-- The role of the live session's user in its workspace, as a rank: 0 none .. 4 owner
-- (4 inside this schema's SECURITY DEFINER functions).
CREATE OR REPLACE FUNCTION app.session_rank() RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  c record := app.session_context();
  r text;
begin
  select m.role into r from app.memberships m where m.tenant_id = c.tenant_id and m.user_id = c.user_id;
  return case r when 'viewer' then 1 when 'scheduler' then 2 when 'admin' then 3 when 'owner' then 4 else 0 end;
end $$;

-- The live session's workspace. Inside this schema's SECURITY DEFINER functions (jobs such
-- as sending reminders) it is the workspace that function named in app.definer_tenant; for
-- every other role that setting is ignored, so setting it by hand gives nothing.
CREATE OR REPLACE FUNCTION app.session_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select (app.session_context()).tenant_id
$$;
