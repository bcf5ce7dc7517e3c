-- What the server's role (planyard_app) and the staff role (planyard_platform) may reach.
-- Their privileges on this schema's tables and functions are first taken away and then
-- granted as listed, so this file is the whole of them: a grant removed here is gone once
-- the file is re-applied.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.

revoke all on all tables in schema app from planyard_app, planyard_platform;
revoke all on all sequences in schema app from planyard_app, planyard_platform;
revoke all on all functions in schema app, platform from planyard_app, planyard_platform;

GRANT USAGE ON SCHEMA app TO planyard_app;

GRANT USAGE ON SCHEMA platform TO planyard_platform;

REVOKE USAGE ON SCHEMA public FROM PUBLIC;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.assignments TO planyard_app;

REVOKE ALL ON FUNCTION app.audit(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) TO planyard_app;

REVOKE ALL ON FUNCTION app.audit_as(p_tenant uuid, p_actor uuid, p_actor_kind text, p_action text, p_entity_type text, p_entity_id text, p_changes jsonb, p_ip text) FROM PUBLIC;

GRANT SELECT ON TABLE app.audit_log TO planyard_app;

REVOKE ALL ON FUNCTION app.audit_session(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_session(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) TO planyard_app;

REVOKE ALL ON FUNCTION app.audit_write(p_tenant uuid, p_actor uuid, p_email text, p_kind text, p_action text, p_entity_type text, p_entity_id text, p_changes jsonb, p_ip text) FROM PUBLIC;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.crews TO planyard_app;

GRANT ALL ON FUNCTION app.current_rank() TO planyard_app;

GRANT ALL ON FUNCTION app.current_session_id() TO planyard_app;

GRANT ALL ON FUNCTION app.current_tenant() TO planyard_app;

GRANT ALL ON FUNCTION app.current_user_id() TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.customers TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.employees TO planyard_app;

GRANT SELECT ON TABLE app.impersonations TO planyard_app;

GRANT SELECT,INSERT,UPDATE ON TABLE app.invitations TO planyard_app;

GRANT ALL ON FUNCTION app.is_definer() TO planyard_app;

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

REVOKE ALL ON FUNCTION app.live_session() FROM PUBLIC;
REVOKE ALL ON FUNCTION app.session_alive(s app.sessions) FROM PUBLIC;
REVOKE ALL ON FUNCTION app.session_context(OUT id uuid, OUT tenant_id uuid, OUT user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.session_context(OUT id uuid, OUT tenant_id uuid, OUT user_id uuid) TO planyard_app;

REVOKE ALL ON FUNCTION app.mfa_factor_use(p_user uuid, p_step bigint, p_recovery bytea) FROM PUBLIC;

REVOKE ALL ON FUNCTION app.mfa_recovery_replace(p_user uuid, p_hashes text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION app.mfa_retry_after(p_user uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION app.password_set(p_user uuid, p_hash text, p_history text, p_subject text, p_body bytea) FROM PUBLIC;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.pours TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.projects TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.regions TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.reminders TO planyard_app;

GRANT ALL ON FUNCTION app.request_begin(p_key text) TO planyard_app;

GRANT ALL ON FUNCTION app.session_impersonation() TO planyard_app;

GRANT ALL ON FUNCTION app.session_key_hash() TO planyard_app;

GRANT ALL ON FUNCTION app.session_rank() TO planyard_app;

GRANT ALL ON FUNCTION app.session_tenant() TO planyard_app;

GRANT SELECT ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(name) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(timezone) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(primary_color) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(require_mfa_for_admins) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(updated_at) ON TABLE app.tenants TO planyard_app;

REVOKE ALL ON FUNCTION platform.impersonate(p_slug text, p_email text, p_staff text, p_reason text, p_token_hash bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION platform.impersonate(p_slug text, p_email text, p_staff text, p_reason text, p_token_hash bytea) TO planyard_platform;

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
