-- What the server's roles and the staff role (planyard_platform) may reach. Each trust
-- boundary is a login of its own, with its own URL setting:
--   planyard_app    every signed-in request: only what acts for the caller's own live session
--   planyard_auth   the pre-session handlers (sign-in, signup, confirm, reset, refresh, the MFA
--                   challenge, invitation accept, impersonation redeem), on their own connections
--   planyard_jobs   the job runner and cron paths (outbox, reminders, retention, billing
--                   webhook, forecast cache)
-- Their privileges on this schema's tables and functions are first taken away and then
-- granted as listed, so this file is the whole of them: a grant removed here is gone once
-- the file is re-applied. No function is executable by PUBLIC, and none made later starts
-- so (default privileges): each SECURITY DEFINER function is granted below to exactly the
-- roles that need it, and tests/api/test_db_boundary.py holds the catalog to the reviewed
-- list in sql/reviewed_definers.txt.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.

-- The server's logins beside planyard_app (sql/001): made here when missing, and like it
-- they own nothing and can't bypass RLS. An operator who made them beforehand sets their
-- passwords; one made too wide is refused.
do $$
declare
  r text;
begin
  foreach r in array array['planyard_auth', 'planyard_jobs'] loop
    if not exists (select from pg_roles where rolname = r) then
      execute format('create role %I login nosuperuser nocreatedb nocreaterole nobypassrls noinherit', r);
    end if;
    if exists (select from pg_roles where rolname = r and (rolsuper or rolbypassrls or rolcreaterole or rolcreatedb)) then
      raise exception '% must be NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB', r;
    end if;
    execute format('alter role %I set search_path = app', r);
    execute format('alter role %I set statement_timeout = %L', r, '10s');
    execute format('alter role %I set idle_in_transaction_session_timeout = %L', r, '20s');
  end loop;
end $$;

revoke all on all tables in schema app from planyard_app, planyard_auth, planyard_jobs, planyard_platform;
revoke all on all sequences in schema app from planyard_app, planyard_auth, planyard_jobs, planyard_platform;
revoke all on all functions in schema app, platform from public, planyard_app, planyard_auth, planyard_jobs, planyard_platform;
-- functions made from now on by the schema owner (who applies this) start closed
alter default privileges revoke execute on functions from public;

GRANT USAGE ON SCHEMA app TO planyard_app, planyard_auth, planyard_jobs;

-- Functions that run as their caller (no SECURITY DEFINER) give nothing beyond the caller's
-- own privileges and row-level security: every role that reads or writes rows may call them
-- (policies call some of them).
do $$
declare
  f regprocedure;
begin
  for f in select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'app' and not p.prosecdef and p.prokind = 'f' order by 1 loop
    execute format('grant execute on function %s to planyard_app, planyard_auth, planyard_jobs', f);
  end loop;
end $$;

-- SECURITY DEFINER functions, each to exactly the roles that need it.
-- The live session whose secret the transaction holds (policies and the gate).
-- (current_session_id, current_user_id and session_tenant are SQL around session_context,
-- inlined, and run as their caller: granted above.)
GRANT EXECUTE ON FUNCTION app.request_begin(text), app.session_context(), app.session_profile(),
  app.session_rank(), app.session_impersonation(), app.audit_session(text, text, text, jsonb)
  TO planyard_app, planyard_auth;
-- Acting for the caller's own live session only (each returns early without one).
GRANT EXECUTE ON FUNCTION app.me_delete(), app.me_password_material(), app.me_password_set(text, text, text, bytea),
  app.mfa_activate(bytea, bigint, text[]), app.mfa_disable(bigint, bytea), app.mfa_enrol_start(bytea),
  app.mfa_material(), app.mfa_recovery_regenerate(bigint, bytea, text[]), app.impersonation_revoke(uuid),
  app.workspace_delete(text), app.mail_enqueue(text, text, bytea), app.reauth_retry_after(), app.reauth_failed()
  TO planyard_app;
-- Erasure from the history, for the caller's own live session (sql/functions/045_privacy.sql).
GRANT EXECUTE ON FUNCTION app.me_delete_erase(), app.audit_erase_record(text, uuid), app.me_export(),
  app.me_email_change(text, text, bytea, text, bytea), app.mfa_confirm(bigint, bytea),
  app.notice_admins(text, bytea) TO planyard_app;
-- A trip's and a traveller's history (sql/functions/088_trips.sql).
GRANT EXECUTE ON FUNCTION app.audit_erase_trip_record(text, uuid) TO planyard_app;
GRANT EXECUTE ON FUNCTION app.auth_email_confirm(text, text, bytea, text), app.auth_lockout_notice(text, text, bytea),
  app.auth_device_notice(uuid, text, bytea), app.impersonation_notice(uuid, text, bytea),
  app.invitation_notice(text, text, bytea) TO planyard_auth;
-- The forecast cache, filled by a signed-in request reading a pour's forecast (its only
-- caller): both do nothing without a live session.
GRANT EXECUTE ON FUNCTION app.weather_cached(text, date), app.weather_store(text, date, jsonb) TO planyard_app;
-- Before a session exists: the pre-session handlers only.
GRANT EXECUTE ON FUNCTION app.auth_confirm(text), app.auth_forgot(text, text, text, bytea),
  app.auth_login_failed(uuid, uuid, text, text), app.auth_login_lookup(text, text, text),
  app.auth_refresh(text, text), app.auth_resend(text, text, bytea),
  app.auth_reset_apply(text, text, text, text, bytea), app.auth_reset_lookup(text),
  app.auth_session_create(uuid, uuid, text, text, bytea, bytea, bytea, text, text, text),
  app.auth_signup(text, text, text, text, text, text, text, bytea, text, bytea, text),
  app.mfa_challenge_create(uuid, uuid, text, text), app.mfa_challenge_secret(text),
  app.mfa_challenge_verify(text, bigint, bytea, text), app.invitation_lookup(text),
  app.invitation_accept(text, uuid, text, text, text, text), app.impersonation_redeem(text, bytea, bytea, text, text),
  app.invite_attempt(text), app.rate_retry_after(text, integer, interval)
  TO planyard_auth;
-- The job runner and cron paths.
GRANT EXECUTE ON FUNCTION app.outbox_claim(integer, integer), app.outbox_done(bigint, boolean, text),
  app.reminders_claim(integer, integer, uuid[]), app.reminder_done(uuid, uuid, boolean, text, integer, text, bytea),
  app.retention_run(), app.billing_apply(jsonb)
  TO planyard_jobs;
-- The trial clock (sql/functions/075_billing.sql), run by /internal/cron/reminders.
GRANT EXECUTE ON FUNCTION app.trial_due(), app.trial_advance(uuid, text, text, bytea) TO planyard_jobs;
-- Sending the schedule (sql/functions/085_sendout.sql): a scheduler's send and an admin's
-- crew links act for the caller's own live session only; a crew link's request hands over
-- the link's token (crew_begin) and the policies read whose it is (crew_context, also under
-- the tenants policy that the pre-session role reads through); the automatic send-out is the
-- cron path's.
GRANT EXECUTE ON FUNCTION app.sheet_send(date, uuid, text, text[], text[], text[], bytea[]),
  app.crew_link_create(uuid), app.crew_link_get(uuid), app.crew_link_revoke(uuid), app.crew_begin(text),
  app.sheet_notices_take(), app.sheet_notice_send(uuid, text, text[], text[], text[], bytea[])
  TO planyard_app;
GRANT EXECUTE ON FUNCTION app.crew_context() TO planyard_app, planyard_auth;
GRANT EXECUTE ON FUNCTION app.sheets_due(), app.sheets_claim(uuid, date),
  app.sheet_send_job(uuid, date, uuid, text, text[], text[], text[], bytea[]), app.sheet_notices_take_job(),
  app.sheet_notice_send_job(uuid, uuid, text, text[], text[], text[], bytea[])
  TO planyard_jobs;
GRANT EXECUTE ON FUNCTION app.privacy_retention(integer, integer, integer, integer, integer) TO planyard_jobs;
-- Staff tooling.
GRANT EXECUTE ON FUNCTION platform.impersonate(text, text, text, text, bytea),
  platform.impersonation_granted_notice(uuid, text, bytea), platform.notify_owners(text, bytea) TO planyard_platform;

-- What the pre-session handlers read of the session they have just made (the tokens body),
-- under the same row-level security as a request.
GRANT SELECT ON TABLE app.tenants, app.memberships TO planyard_auth;
GRANT SELECT(id, tenant_id, user_id, aal, created_at, last_used_at, expires_at, revoked_at, ip, user_agent,
             impersonation_id) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(id, email, name, email_confirmed_at, totp_enabled_at, created_at, updated_at) ON TABLE app.users
  TO planyard_auth;

GRANT USAGE ON SCHEMA platform TO planyard_platform;

REVOKE USAGE ON SCHEMA public FROM PUBLIC;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.assignments TO planyard_app;

GRANT SELECT ON TABLE app.audit_log TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.crews TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.customers TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.employees TO planyard_app;

GRANT SELECT ON TABLE app.impersonations TO planyard_app;

GRANT SELECT,INSERT,UPDATE ON TABLE app.invitations TO planyard_app;

GRANT SELECT(tenant_id) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(id) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(user_id) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(aal) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(created_at) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(last_used_at) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(expires_at) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(revoked_at),UPDATE(revoked_at) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(ip) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(user_agent) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(impersonation_id) ON TABLE app.sessions TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.pours TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.projects TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.regions TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.reminders TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.trips, app.travelers TO planyard_app;

GRANT SELECT ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(name) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(timezone) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(primary_color) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(require_mfa_for_admins) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(sheets_send_at) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(kind) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(updated_at) ON TABLE app.tenants TO planyard_app;

GRANT SELECT ON TABLE app.billing TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.crew_members TO planyard_app;

GRANT SELECT,DELETE ON TABLE app.memberships TO planyard_app;

GRANT UPDATE(role) ON TABLE app.memberships TO planyard_app;

GRANT SELECT(id) ON TABLE app.users TO planyard_app;

GRANT SELECT(email) ON TABLE app.users TO planyard_app;

GRANT SELECT(name),UPDATE(name) ON TABLE app.users TO planyard_app;

GRANT SELECT(email_confirmed_at) ON TABLE app.users TO planyard_app;

GRANT SELECT(totp_enabled_at) ON TABLE app.users TO planyard_app;

GRANT SELECT(created_at) ON TABLE app.users TO planyard_app;

GRANT SELECT(updated_at),UPDATE(updated_at) ON TABLE app.users TO planyard_app;
