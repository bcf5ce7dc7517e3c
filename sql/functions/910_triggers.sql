-- Triggers: the audit log of every change, its guard, and the checks of reminders.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.assignments FOR EACH ROW EXECUTE FUNCTION app.audit_row('assignment');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.crews FOR EACH ROW EXECUTE FUNCTION app.audit_row('crew');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.customers FOR EACH ROW EXECUTE FUNCTION app.audit_row('customer');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.employees FOR EACH ROW EXECUTE FUNCTION app.audit_row('employee');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR UPDATE ON app.invitations FOR EACH ROW EXECUTE FUNCTION app.audit_row('invitation');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.memberships FOR EACH ROW EXECUTE FUNCTION app.audit_row('member');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.pours FOR EACH ROW EXECUTE FUNCTION app.audit_row('pour');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.projects FOR EACH ROW EXECUTE FUNCTION app.audit_row('project');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.regions FOR EACH ROW EXECUTE FUNCTION app.audit_row('region');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE OF remind_at, channel, "to", message, subject_type, subject_id ON app.reminders FOR EACH ROW EXECUTE FUNCTION app.audit_row('reminder');

CREATE OR REPLACE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.tenants FOR EACH ROW EXECUTE FUNCTION app.audit_row('workspace');

CREATE OR REPLACE TRIGGER audit_log_guard BEFORE DELETE OR UPDATE ON app.audit_log FOR EACH ROW EXECUTE FUNCTION app.audit_guard();

CREATE OR REPLACE TRIGGER customers_reminder_subject BEFORE DELETE ON app.customers FOR EACH ROW EXECUTE FUNCTION app.reminder_subject_in_use('customer');

CREATE OR REPLACE TRIGGER pours_reminder_subject BEFORE DELETE ON app.pours FOR EACH ROW EXECUTE FUNCTION app.reminder_subject_in_use('pour');

CREATE OR REPLACE TRIGGER projects_reminder_subject BEFORE DELETE ON app.projects FOR EACH ROW EXECUTE FUNCTION app.reminder_subject_in_use('project');

CREATE OR REPLACE TRIGGER reminders_check BEFORE INSERT OR UPDATE OF remind_at, channel, "to", subject_type, subject_id ON app.reminders FOR EACH ROW EXECUTE FUNCTION app.reminders_check();

CREATE OR REPLACE TRIGGER assignments_follow_pour BEFORE INSERT OR UPDATE OF pour_id, date ON app.assignments FOR EACH ROW EXECUTE FUNCTION app.assignments_follow_pour();

CREATE OR REPLACE TRIGGER pours_release BEFORE UPDATE OF status ON app.pours FOR EACH ROW WHEN (((new.status = 'canceled'::text) AND (old.status <> 'canceled'::text))) EXECUTE FUNCTION app.pours_release();

-- Change notices owed to people whose sheet went out (sql/functions/085_sendout.sql).
CREATE OR REPLACE TRIGGER pours_notice AFTER UPDATE OF scheduled_date, start_time, status ON app.pours FOR EACH ROW EXECUTE FUNCTION app.pours_notice();

CREATE OR REPLACE TRIGGER assignments_notice AFTER DELETE OR UPDATE OF employee_id, pour_id ON app.assignments FOR EACH ROW EXECUTE FUNCTION app.assignments_notice();
