-- Row-level security: the policies of every table (DESIGN.md "Tenant isolation"). A
-- policy compares tenant_id with the live session's workspace, or lets this schema's
-- SECURITY DEFINER functions through (app.is_definer()).
-- The tables a crew link reads (085_sendout.sql) take, in their one permissive SELECT
-- policy, the session's workspace or else the link's, as one InitPlan: the planner then
-- uses it as the index condition. Two permissive policies (session OR link) made it an OR
-- that no index serves: a week's pours were found by reading all of the workspace's. What a
-- link may see of its workspace is narrowed by a restrictive policy next to the link's
-- functions, which lets a session's reads through before it looks at anything.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.

DROP POLICY IF EXISTS assignments_delete ON app.assignments;
CREATE POLICY assignments_delete ON app.assignments FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS assignments_insert ON app.assignments;
CREATE POLICY assignments_insert ON app.assignments FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS assignments_select ON app.assignments;
CREATE POLICY assignments_select ON app.assignments FOR SELECT USING ((tenant_id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce")));

DROP POLICY IF EXISTS assignments_update ON app.assignments;
CREATE POLICY assignments_update ON app.assignments FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS audit_log_delete ON app.audit_log;
CREATE POLICY audit_log_delete ON app.audit_log FOR DELETE USING (app.is_definer());

DROP POLICY IF EXISTS audit_log_insert ON app.audit_log;
CREATE POLICY audit_log_insert ON app.audit_log FOR INSERT WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS audit_log_select ON app.audit_log;
CREATE POLICY audit_log_select ON app.audit_log FOR SELECT USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

DROP POLICY IF EXISTS audit_log_update ON app.audit_log;
-- only erasure of personal fields gets past the trigger app.audit_guard
CREATE POLICY audit_log_update ON app.audit_log FOR UPDATE USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS billing_delete ON app.billing;
CREATE POLICY billing_delete ON app.billing FOR DELETE USING (app.is_definer());

DROP POLICY IF EXISTS billing_events_definer ON app.billing_events;
CREATE POLICY billing_events_definer ON app.billing_events USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS billing_insert ON app.billing;
CREATE POLICY billing_insert ON app.billing FOR INSERT WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS billing_select ON app.billing;
CREATE POLICY billing_select ON app.billing FOR SELECT USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 4))));

DROP POLICY IF EXISTS billing_update ON app.billing;
CREATE POLICY billing_update ON app.billing FOR UPDATE USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS crew_members_delete ON app.crew_members;
CREATE POLICY crew_members_delete ON app.crew_members FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS crew_members_insert ON app.crew_members;
CREATE POLICY crew_members_insert ON app.crew_members FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS crew_members_select ON app.crew_members;
CREATE POLICY crew_members_select ON app.crew_members FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

DROP POLICY IF EXISTS crew_members_update ON app.crew_members;
CREATE POLICY crew_members_update ON app.crew_members FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS crews_delete ON app.crews;
CREATE POLICY crews_delete ON app.crews FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS crews_insert ON app.crews;
CREATE POLICY crews_insert ON app.crews FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS crews_select ON app.crews;
CREATE POLICY crews_select ON app.crews FOR SELECT USING ((tenant_id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce")));

DROP POLICY IF EXISTS crews_update ON app.crews;
CREATE POLICY crews_update ON app.crews FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS customers_delete ON app.customers;
CREATE POLICY customers_delete ON app.customers FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS customers_insert ON app.customers;
CREATE POLICY customers_insert ON app.customers FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS customers_select ON app.customers;
CREATE POLICY customers_select ON app.customers FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

DROP POLICY IF EXISTS customers_update ON app.customers;
CREATE POLICY customers_update ON app.customers FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS employees_delete ON app.employees;
CREATE POLICY employees_delete ON app.employees FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS employees_insert ON app.employees;
CREATE POLICY employees_insert ON app.employees FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS employees_select ON app.employees;
CREATE POLICY employees_select ON app.employees FOR SELECT USING ((tenant_id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce")));

DROP POLICY IF EXISTS employees_update ON app.employees;
CREATE POLICY employees_update ON app.employees FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS impersonations_delete ON app.impersonations;
CREATE POLICY impersonations_delete ON app.impersonations FOR DELETE USING (app.is_definer());

DROP POLICY IF EXISTS impersonations_insert ON app.impersonations;
CREATE POLICY impersonations_insert ON app.impersonations FOR INSERT WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS impersonations_select ON app.impersonations;
CREATE POLICY impersonations_select ON app.impersonations FOR SELECT USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

DROP POLICY IF EXISTS impersonations_update ON app.impersonations;
CREATE POLICY impersonations_update ON app.impersonations FOR UPDATE USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS invitations_delete ON app.invitations;
CREATE POLICY invitations_delete ON app.invitations FOR DELETE USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

DROP POLICY IF EXISTS invitations_insert ON app.invitations;
CREATE POLICY invitations_insert ON app.invitations FOR INSERT WITH CHECK ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

DROP POLICY IF EXISTS invitations_select ON app.invitations;
CREATE POLICY invitations_select ON app.invitations FOR SELECT USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

DROP POLICY IF EXISTS invitations_update ON app.invitations;
CREATE POLICY invitations_update ON app.invitations FOR UPDATE USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3)))) WITH CHECK ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

DROP POLICY IF EXISTS memberships_delete ON app.memberships;
CREATE POLICY memberships_delete ON app.memberships FOR DELETE USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

DROP POLICY IF EXISTS memberships_insert ON app.memberships;
CREATE POLICY memberships_insert ON app.memberships FOR INSERT WITH CHECK ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

DROP POLICY IF EXISTS memberships_select ON app.memberships;
CREATE POLICY memberships_select ON app.memberships FOR SELECT USING ((app.is_definer() OR (tenant_id = ( SELECT app.current_tenant() AS current_tenant))));

DROP POLICY IF EXISTS memberships_update ON app.memberships;
CREATE POLICY memberships_update ON app.memberships FOR UPDATE USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3)))) WITH CHECK ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

DROP POLICY IF EXISTS mfa_challenges_definer ON app.mfa_challenges;
CREATE POLICY mfa_challenges_definer ON app.mfa_challenges USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS outbox_definer ON app.outbox;
CREATE POLICY outbox_definer ON app.outbox USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS password_history_definer ON app.password_history;
CREATE POLICY password_history_definer ON app.password_history USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS pours_delete ON app.pours;
CREATE POLICY pours_delete ON app.pours FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS pours_insert ON app.pours;
CREATE POLICY pours_insert ON app.pours FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS pours_select ON app.pours;
CREATE POLICY pours_select ON app.pours FOR SELECT USING ((tenant_id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce")));

DROP POLICY IF EXISTS pours_update ON app.pours;
CREATE POLICY pours_update ON app.pours FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS projects_delete ON app.projects;
CREATE POLICY projects_delete ON app.projects FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS projects_insert ON app.projects;
CREATE POLICY projects_insert ON app.projects FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS projects_select ON app.projects;
CREATE POLICY projects_select ON app.projects FOR SELECT USING ((tenant_id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce")));

DROP POLICY IF EXISTS projects_update ON app.projects;
CREATE POLICY projects_update ON app.projects FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS rate_events_definer ON app.rate_events;
CREATE POLICY rate_events_definer ON app.rate_events USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS recovery_codes_definer ON app.recovery_codes;
CREATE POLICY recovery_codes_definer ON app.recovery_codes USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS refresh_tokens_definer ON app.refresh_tokens;
CREATE POLICY refresh_tokens_definer ON app.refresh_tokens USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS regions_delete ON app.regions;
CREATE POLICY regions_delete ON app.regions FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS regions_insert ON app.regions;
CREATE POLICY regions_insert ON app.regions FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS regions_select ON app.regions;
CREATE POLICY regions_select ON app.regions FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

DROP POLICY IF EXISTS regions_update ON app.regions;
CREATE POLICY regions_update ON app.regions FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS reminders_delete ON app.reminders;
CREATE POLICY reminders_delete ON app.reminders FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS reminders_insert ON app.reminders;
CREATE POLICY reminders_insert ON app.reminders FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS reminders_jobs ON app.reminders;
CREATE POLICY reminders_jobs ON app.reminders USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS reminders_select ON app.reminders;
CREATE POLICY reminders_select ON app.reminders FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

DROP POLICY IF EXISTS reminders_update ON app.reminders;
CREATE POLICY reminders_update ON app.reminders FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

DROP POLICY IF EXISTS sessions_delete ON app.sessions;
CREATE POLICY sessions_delete ON app.sessions FOR DELETE USING (app.is_definer());

DROP POLICY IF EXISTS sessions_insert ON app.sessions;
CREATE POLICY sessions_insert ON app.sessions FOR INSERT WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS sessions_select ON app.sessions;
CREATE POLICY sessions_select ON app.sessions FOR SELECT USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (user_id = ( SELECT app.current_user_id() AS current_user_id)))));

DROP POLICY IF EXISTS sessions_update ON app.sessions;
CREATE POLICY sessions_update ON app.sessions FOR UPDATE USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (user_id = ( SELECT app.current_user_id() AS current_user_id))))) WITH CHECK ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (user_id = ( SELECT app.current_user_id() AS current_user_id)) AND (revoked_at IS NOT NULL))));

DROP POLICY IF EXISTS tenants_delete ON app.tenants;
CREATE POLICY tenants_delete ON app.tenants FOR DELETE USING ((app.is_definer() OR ((id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 4))));

DROP POLICY IF EXISTS tenants_insert ON app.tenants;
CREATE POLICY tenants_insert ON app.tenants FOR INSERT WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS tenants_select ON app.tenants;
CREATE POLICY tenants_select ON app.tenants FOR SELECT USING ((app.is_definer() OR (id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce"))));

DROP POLICY IF EXISTS tenants_update ON app.tenants;
CREATE POLICY tenants_update ON app.tenants FOR UPDATE USING ((app.is_definer() OR ((id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3)))) WITH CHECK ((app.is_definer() OR ((id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

DROP POLICY IF EXISTS user_tokens_definer ON app.user_tokens;
CREATE POLICY user_tokens_definer ON app.user_tokens USING (app.is_definer()) WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS users_delete ON app.users;
CREATE POLICY users_delete ON app.users FOR DELETE USING (app.is_definer());

DROP POLICY IF EXISTS users_insert ON app.users;
CREATE POLICY users_insert ON app.users FOR INSERT WITH CHECK (app.is_definer());

DROP POLICY IF EXISTS users_select ON app.users;
CREATE POLICY users_select ON app.users FOR SELECT USING ((app.is_definer() OR (id = ( SELECT app.current_user_id() AS current_user_id)) OR (EXISTS ( SELECT 1
   FROM app.memberships m
  WHERE ((m.user_id = users.id) AND (m.tenant_id = ( SELECT app.current_tenant() AS current_tenant)))))));

DROP POLICY IF EXISTS users_update ON app.users;
CREATE POLICY users_update ON app.users FOR UPDATE USING ((app.is_definer() OR (id = ( SELECT app.current_user_id() AS current_user_id)))) WITH CHECK ((app.is_definer() OR (id = ( SELECT app.current_user_id() AS current_user_id))));

DROP POLICY IF EXISTS weather_cache_definer ON app.weather_cache;
CREATE POLICY weather_cache_definer ON app.weather_cache USING (app.is_definer()) WITH CHECK (app.is_definer());
