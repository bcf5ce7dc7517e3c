-- The trial clock: a workspace is on trial for 14 days from its making, without a card.
-- Workspaces that exist when this runs start their 14 days now (the column's default is
-- evaluated once for them): none of them had a trial before, and none is cut off at once.
-- trial_stage records what of the clock has happened, each step once: the reminders 3 days
-- and 1 day before the end, and the end (sql/functions/075_billing.sql, app.trial_advance).
ALTER TABLE app.tenants ADD COLUMN trial_ends_at timestamp with time zone DEFAULT (now() + '14 days'::interval) NOT NULL;
ALTER TABLE app.tenants ADD COLUMN trial_stage text DEFAULT 'running'::text NOT NULL;
ALTER TABLE app.tenants ADD CONSTRAINT tenants_trial_stage_check
    CHECK ((trial_stage = ANY (ARRAY['running'::text, 'reminded_3d'::text, 'reminded_1d'::text, 'ended'::text])));
-- Events of a card (payment_method.attached, charge.succeeded) name only the processor's
-- customer: the webhook finds its workspace by it.
CREATE INDEX billing_customer_id ON app.billing USING btree (customer_id);
