-- Isolation fixes found by tests/sql/isolation.sql (the database must refuse even when the
-- server is wrong):
--
-- 1. app.audit, SECURITY DEFINER and granted to planyard_app, took the workspace and the actor
--    from app.definer_tenant / app.definer_actor whenever no session was live. Any caller can
--    set those, so planyard_app with no session at all could append rows to any workspace's
--    audit log, in the name of any user (whose email then shows in that log). Now app.audit
--    runs as its caller: a live session writes through app.audit_session (its own workspace,
--    its own user, nothing taken from settings), and the settings are honoured only when the
--    caller is itself one of this schema's SECURITY DEFINER functions (a job or a flow before
--    a session, which sets them).
-- 2. The session policy let a user's live session set revoked_at back to null on the user's
--    other sessions: a signed-out (or reuse-revoked) session could be brought back. planyard_app
--    may now only end sessions.
-- 3. planyard_app could insert memberships (and move one to another user_id): a workspace admin
--    could link any account into the workspace and read that account's row. Memberships are
--    made by SECURITY DEFINER flows (signup, invitations); the server changes only roles.
-- 4. planyard_app could read every column of app.users it can see, password hashes and TOTP
--    secrets included. The server reads those only through SECURITY DEFINER functions.

-- 1 ------------------------------------------------------------------------------------------
-- The live session's part: its workspace and user, nothing trusted from settings but the
-- client address and the staff name of an impersonation (both only into the session's own
-- workspace). False when no session is live.
create function app.audit_session(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb)
returns boolean language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  s app.sessions;
  who text;
begin
  select * into s from app.live_session();
  if s.id is null then
    return false;
  end if;
  select email into who from app.users where id = s.user_id;
  perform app.audit_write(s.tenant_id, s.user_id,
                          case when s.impersonation_id is null then who
                               else coalesce(nullif(current_setting('app.impersonation_staff', true), ''), 'staff')
                                    || ' as ' || who end,
                          case when s.impersonation_id is null then 'user' else 'platform' end,
                          p_action, p_entity_type, p_entity_id, p_changes,
                          nullif(current_setting('app.client_ip', true), ''));
  return true;
end $$;
revoke execute on function app.audit_session(text, text, text, jsonb) from public;
grant execute on function app.audit_session(text, text, text, jsonb) to planyard_app;

-- Runs as its caller (no SECURITY DEFINER), so app.is_definer() here tells whether the caller
-- is one of this schema's SECURITY DEFINER functions (or a trigger fired inside one).
create or replace function app.audit(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb)
returns void language plpgsql volatile security invoker set search_path = pg_catalog, pg_temp as $$
declare
  u uuid;
begin
  if app.audit_session(p_action, p_entity_type, p_entity_id, p_changes) then
    return;
  end if;
  if not app.is_definer() then
    return;   -- no session and not a job: nobody to write for
  end if;
  u := nullif(current_setting('app.definer_actor', true), '')::uuid;
  perform app.audit_write(nullif(current_setting('app.definer_tenant', true), '')::uuid, u,
                          (select x.email from app.users x where x.id = u),
                          case when u is null then 'system' else 'user' end,
                          p_action, p_entity_type, p_entity_id, p_changes,
                          nullif(current_setting('app.client_ip', true), ''));
end $$;

-- 2 ------------------------------------------------------------------------------------------
drop policy sessions_update on app.sessions;
create policy sessions_update on app.sessions for update
  using (app.is_definer() or (tenant_id = (select app.current_tenant()) and user_id = (select app.current_user_id())))
  with check (app.is_definer() or (tenant_id = (select app.current_tenant()) and user_id = (select app.current_user_id())
                                   and revoked_at is not null));

-- 3 ------------------------------------------------------------------------------------------
revoke insert, update on app.memberships from planyard_app;
grant update (role) on app.memberships to planyard_app;

-- 4 ------------------------------------------------------------------------------------------
revoke select on app.users from planyard_app;
grant select (id, email, name, email_confirmed_at, totp_enabled_at, created_at, updated_at) on app.users to planyard_app;
