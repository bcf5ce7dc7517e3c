-- The tables of Planyard as of its first release (migrations 001-018 of that release, which a
-- database migrated by it has recorded and which this file replaces: src/migrate.c records this
-- file as applied on such a database instead of running it). Numbered files hold tables,
-- columns, indexes, constraints and data changes, and are never edited once released;
-- functions, policies, triggers and grants live in sql/functions/, re-applied when they change.

-- The roles of DESIGN.md. The schema owner (who runs this) owns everything; planyard_app is
-- what the server uses for every request: it can log in, owns nothing, and can't bypass RLS.
do $$
begin
  if not exists (select from pg_roles where rolname = 'planyard_app') then
    create role planyard_app login nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
  end if;
end $$;
-- A role made beforehand by an operator must be as narrow as the one made here.
do $$
begin
  if exists (select from pg_roles where rolname = 'planyard_app'
             and (rolsuper or rolbypassrls or rolcreaterole or rolcreatedb)) then
    raise exception 'planyard_app must be NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB';
  end if;
end $$;
alter role planyard_app set search_path = app;
-- Timeouts of the server's role hold on every connection, also through a pooler that can't
-- keep per-connection settings (the server sets the same per connection when it can).
alter role planyard_app set statement_timeout = '10s';
alter role planyard_app set idle_in_transaction_session_timeout = '20s';

-- The role of staff tooling: it can't log in (an operator gives a login role membership, or
-- the dev command switches to it with SET ROLE), and reaches only its functions in schema
-- platform.
do $$
begin
  if not exists (select from pg_roles where rolname = 'planyard_platform') then
    create role planyard_platform nologin nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
  end if;
  if exists (select from pg_roles where rolname = 'planyard_platform'
             and (rolsuper or rolbypassrls or rolcreaterole or rolcreatedb)) then
    raise exception 'planyard_platform must be NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB';
  end if;
end $$;

-- Temporary tables could shadow names inside SECURITY DEFINER functions.
do $$ begin execute format('revoke temporary on database %I from public', current_database()); end $$;

-- Schema app is made by the migrator (it keeps app.schema_migrations there). Platform staff
-- have their own schema: usage of schema app would also open every function PUBLIC may run.
create schema if not exists app;
create schema platform;

CREATE TABLE app.assignments (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    employee_id uuid NOT NULL,
    date date NOT NULL,
    pour_id uuid,
    role text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.assignments FORCE ROW LEVEL SECURITY;

CREATE TABLE app.audit_log (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    seq bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor_id uuid,
    actor_email text,
    actor_kind text NOT NULL,
    action text NOT NULL,
    entity_type text,
    entity_id text,
    changes jsonb DEFAULT '{}'::jsonb NOT NULL,
    ip text,
    prev_hash bytea,
    hash bytea NOT NULL,
    CONSTRAINT audit_log_actor_kind_check CHECK ((actor_kind = ANY (ARRAY['user'::text, 'platform'::text, 'system'::text])))
);

ALTER TABLE ONLY app.audit_log FORCE ROW LEVEL SECURITY;

CREATE TABLE app.crews (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    region_id uuid,
    foreman_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.crews FORCE ROW LEVEL SECURITY;

CREATE TABLE app.customers (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    contact_name text,
    email text,
    phone text,
    notes text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.customers FORCE ROW LEVEL SECURITY;

CREATE TABLE app.employees (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    trade text,
    phone text,
    email text,
    region_id uuid,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT employees_trade_check CHECK ((trade = ANY (ARRAY['placer'::text, 'finisher'::text, 'pump_operator'::text, 'driver'::text, 'foreman'::text, 'laborer'::text])))
);

ALTER TABLE ONLY app.employees FORCE ROW LEVEL SECURITY;

CREATE TABLE app.impersonations (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    staff text NOT NULL,
    reason text NOT NULL,
    token_hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    link_expires_at timestamp with time zone DEFAULT (now() + '00:05:00'::interval) NOT NULL,
    redeemed_at timestamp with time zone,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    session_id uuid,
    CONSTRAINT impersonations_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500))),
    CONSTRAINT impersonations_staff_check CHECK (((length(staff) >= 1) AND (length(staff) <= 100)))
);

ALTER TABLE ONLY app.impersonations FORCE ROW LEVEL SECURITY;

CREATE TABLE app.invitations (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email text NOT NULL,
    role text NOT NULL,
    token_hash bytea NOT NULL,
    invited_by uuid,
    expires_at timestamp with time zone DEFAULT (now() + '7 days'::interval) NOT NULL,
    accepted_at timestamp with time zone,
    revoked_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT invitations_role_check CHECK ((role = ANY (ARRAY['viewer'::text, 'scheduler'::text, 'admin'::text, 'owner'::text])))
);

ALTER TABLE ONLY app.invitations FORCE ROW LEVEL SECURITY;

CREATE TABLE app.sessions (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    key_hash bytea NOT NULL,
    key_sealed bytea NOT NULL,
    aal text DEFAULT 'aal1'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone DEFAULT (now() + '30 days'::interval) NOT NULL,
    revoked_at timestamp with time zone,
    ip text,
    user_agent text,
    impersonation_id uuid,
    CONSTRAINT sessions_aal_check CHECK ((aal = ANY (ARRAY['aal1'::text, 'aal2'::text])))
);

ALTER TABLE ONLY app.sessions FORCE ROW LEVEL SECURITY;

CREATE TABLE app.pours (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    project_id uuid NOT NULL,
    scheduled_date date NOT NULL,
    start_time time without time zone,
    volume_cy numeric(7,2) NOT NULL,
    mix text NOT NULL,
    pump boolean DEFAULT false NOT NULL,
    crew_id uuid,
    crew_size_needed integer DEFAULT 0 NOT NULL,
    status text DEFAULT 'tentative'::text NOT NULL,
    notes text,
    cancel_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pours_crew_size_needed_check CHECK ((crew_size_needed >= 0)),
    CONSTRAINT pours_status_check CHECK ((status = ANY (ARRAY['tentative'::text, 'confirmed'::text, 'completed'::text, 'canceled'::text]))),
    CONSTRAINT pours_volume_cy_check CHECK ((volume_cy > (0)::numeric))
);

ALTER TABLE ONLY app.pours FORCE ROW LEVEL SECURITY;

CREATE TABLE app.projects (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    customer_id uuid NOT NULL,
    name text NOT NULL,
    address text,
    zip text,
    region_id uuid,
    notes text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.projects FORCE ROW LEVEL SECURITY;

CREATE TABLE app.regions (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.regions FORCE ROW LEVEL SECURITY;

CREATE TABLE app.reminders (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    remind_at timestamp with time zone NOT NULL,
    channel text NOT NULL,
    "to" text NOT NULL,
    message text NOT NULL,
    subject_type text,
    subject_id uuid,
    status text DEFAULT 'pending'::text NOT NULL,
    sent_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reminders_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'sms'::text]))),
    CONSTRAINT reminders_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'sent'::text, 'failed'::text]))),
    CONSTRAINT reminders_subject_type_check CHECK ((subject_type = ANY (ARRAY['customer'::text, 'project'::text, 'pour'::text])))
);

ALTER TABLE ONLY app.reminders FORCE ROW LEVEL SECURITY;

CREATE TABLE app.tenants (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    timezone text DEFAULT 'UTC'::text NOT NULL,
    primary_color text,
    require_mfa_for_admins boolean DEFAULT false NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    suspended_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tenants_status_check CHECK ((status = ANY (ARRAY['active'::text, 'suspended'::text])))
);

ALTER TABLE ONLY app.tenants FORCE ROW LEVEL SECURITY;

CREATE TABLE app.billing (
    tenant_id uuid NOT NULL,
    customer_id text,
    subscription_id text,
    plan text,
    status text,
    card_brand text,
    card_last4 text,
    current_period_end timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.billing FORCE ROW LEVEL SECURITY;

CREATE TABLE app.billing_events (
    event_id text NOT NULL,
    type text NOT NULL,
    tenant_id uuid,
    received_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.billing_events FORCE ROW LEVEL SECURITY;

CREATE TABLE app.crew_members (
    tenant_id uuid NOT NULL,
    crew_id uuid NOT NULL,
    employee_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.crew_members FORCE ROW LEVEL SECURITY;

CREATE TABLE app.memberships (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT memberships_role_check CHECK ((role = ANY (ARRAY['viewer'::text, 'scheduler'::text, 'admin'::text, 'owner'::text])))
);

ALTER TABLE ONLY app.memberships FORCE ROW LEVEL SECURITY;

-- A right password of an account with TOTP: the mfa_token handed back at sign-in.
CREATE TABLE app.mfa_challenges (
    token_hash bytea NOT NULL,
    user_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone DEFAULT (now() + '00:05:00'::interval) NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    used_at timestamp with time zone
);

ALTER TABLE ONLY app.mfa_challenges FORCE ROW LEVEL SECURITY;

CREATE TABLE app.outbox (
    id bigint NOT NULL,
    tenant_id uuid,
    user_id uuid,
    channel text DEFAULT 'email'::text NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    last_error text,
    reminder_id uuid,
    CONSTRAINT outbox_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'sms'::text])))
);

ALTER TABLE ONLY app.outbox FORCE ROW LEVEL SECURITY;

CREATE SEQUENCE app.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE app.outbox_id_seq OWNED BY app.outbox.id;

CREATE TABLE app.password_history (
    user_id uuid NOT NULL,
    id bigint NOT NULL,
    hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.password_history FORCE ROW LEVEL SECURITY;

CREATE SEQUENCE app.password_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE app.password_history_id_seq OWNED BY app.password_history.id;

CREATE TABLE app.rate_events (
    key text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.rate_events FORCE ROW LEVEL SECURITY;

CREATE TABLE app.recovery_codes (
    user_id uuid NOT NULL,
    code_hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    used_at timestamp with time zone
);

ALTER TABLE ONLY app.recovery_codes FORCE ROW LEVEL SECURITY;

CREATE TABLE app.refresh_tokens (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    session_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    successor_hash bytea,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    used_at timestamp with time zone
);

ALTER TABLE ONLY app.refresh_tokens FORCE ROW LEVEL SECURITY;

CREATE TABLE app.user_tokens (
    token_hash bytea NOT NULL,
    user_id uuid NOT NULL,
    tenant_id uuid,
    kind text NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT user_tokens_kind_check CHECK ((kind = ANY (ARRAY['confirm'::text, 'reset'::text])))
);

ALTER TABLE ONLY app.user_tokens FORCE ROW LEVEL SECURITY;

CREATE TABLE app.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email text NOT NULL,
    name text NOT NULL,
    password_hash text NOT NULL,
    email_confirmed_at timestamp with time zone,
    totp_secret bytea,
    totp_enabled_at timestamp with time zone,
    totp_last_step bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    totp_pending_secret bytea
);

ALTER TABLE ONLY app.users FORCE ROW LEVEL SECURITY;

CREATE TABLE app.weather_cache (
    zip text NOT NULL,
    day date NOT NULL,
    payload jsonb NOT NULL,
    fetched_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.weather_cache FORCE ROW LEVEL SECURITY;

ALTER TABLE ONLY app.outbox ALTER COLUMN id SET DEFAULT nextval('app.outbox_id_seq'::regclass);

ALTER TABLE ONLY app.password_history ALTER COLUMN id SET DEFAULT nextval('app.password_history_id_seq'::regclass);

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_one_per_day UNIQUE (tenant_id, employee_id, date);

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.audit_log
    ADD CONSTRAINT audit_log_seq UNIQUE (tenant_id, seq);

ALTER TABLE ONLY app.billing_events
    ADD CONSTRAINT billing_events_pkey PRIMARY KEY (event_id);

ALTER TABLE ONLY app.billing
    ADD CONSTRAINT billing_pkey PRIMARY KEY (tenant_id);

ALTER TABLE ONLY app.crew_members
    ADD CONSTRAINT crew_members_pkey PRIMARY KEY (tenant_id, crew_id, employee_id);

ALTER TABLE ONLY app.crews
    ADD CONSTRAINT crews_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.employees
    ADD CONSTRAINT employees_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.impersonations
    ADD CONSTRAINT impersonations_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.impersonations
    ADD CONSTRAINT impersonations_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY app.invitations
    ADD CONSTRAINT invitations_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.invitations
    ADD CONSTRAINT invitations_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY app.memberships
    ADD CONSTRAINT memberships_pkey PRIMARY KEY (tenant_id, user_id);

ALTER TABLE ONLY app.mfa_challenges
    ADD CONSTRAINT mfa_challenges_pkey PRIMARY KEY (token_hash);

ALTER TABLE ONLY app.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

ALTER TABLE ONLY app.password_history
    ADD CONSTRAINT password_history_pkey PRIMARY KEY (user_id, id);

ALTER TABLE ONLY app.pours
    ADD CONSTRAINT pours_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.projects
    ADD CONSTRAINT projects_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.recovery_codes
    ADD CONSTRAINT recovery_codes_pkey PRIMARY KEY (user_id, code_hash);

ALTER TABLE ONLY app.refresh_tokens
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.refresh_tokens
    ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY app.regions
    ADD CONSTRAINT regions_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.reminders
    ADD CONSTRAINT reminders_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.sessions
    ADD CONSTRAINT sessions_key_hash_key UNIQUE (key_hash);

ALTER TABLE ONLY app.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.tenants
    ADD CONSTRAINT tenants_pkey PRIMARY KEY (id);

ALTER TABLE ONLY app.tenants
    ADD CONSTRAINT tenants_slug_key UNIQUE (slug);

ALTER TABLE ONLY app.user_tokens
    ADD CONSTRAINT user_tokens_pkey PRIMARY KEY (token_hash);

ALTER TABLE ONLY app.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

ALTER TABLE ONLY app.weather_cache
    ADD CONSTRAINT weather_cache_pkey PRIMARY KEY (zip, day);

CREATE INDEX assignments_date ON app.assignments USING btree (tenant_id, date, id);

CREATE INDEX assignments_pour ON app.assignments USING btree (tenant_id, pour_id);

CREATE INDEX crew_members_employee ON app.crew_members USING btree (tenant_id, employee_id);

CREATE INDEX crews_page ON app.crews USING btree (tenant_id, created_at, id);

CREATE INDEX customers_page ON app.customers USING btree (tenant_id, created_at, id);

CREATE INDEX employees_page ON app.employees USING btree (tenant_id, created_at, id);

CREATE INDEX employees_region ON app.employees USING btree (tenant_id, region_id);

CREATE INDEX impersonations_page ON app.impersonations USING btree (tenant_id, created_at, id);

CREATE INDEX impersonations_user ON app.impersonations USING btree (tenant_id, user_id);

CREATE INDEX memberships_user ON app.memberships USING btree (user_id);

CREATE INDEX mfa_challenges_expires ON app.mfa_challenges USING btree (expires_at);

CREATE INDEX mfa_challenges_user ON app.mfa_challenges USING btree (user_id);

CREATE INDEX outbox_pending ON app.outbox USING btree (next_attempt_at) WHERE (sent_at IS NULL);

CREATE INDEX pours_crew ON app.pours USING btree (tenant_id, crew_id);

CREATE INDEX pours_date ON app.pours USING btree (tenant_id, scheduled_date, id);

CREATE INDEX pours_project ON app.pours USING btree (tenant_id, project_id);

CREATE INDEX projects_customer ON app.projects USING btree (tenant_id, customer_id);

CREATE INDEX projects_page ON app.projects USING btree (tenant_id, created_at, id);

CREATE INDEX projects_region ON app.projects USING btree (tenant_id, region_id);

CREATE INDEX rate_events_key ON app.rate_events USING btree (key, at);

CREATE INDEX regions_page ON app.regions USING btree (tenant_id, created_at, id);

CREATE INDEX reminders_due ON app.reminders USING btree (remind_at) WHERE (status = 'pending'::text);

CREATE INDEX reminders_page ON app.reminders USING btree (tenant_id, created_at, id);

CREATE INDEX reminders_subject ON app.reminders USING btree (tenant_id, subject_id) WHERE (subject_id IS NOT NULL);

CREATE INDEX sessions_user ON app.sessions USING btree (tenant_id, user_id);

CREATE INDEX user_tokens_user ON app.user_tokens USING btree (user_id);

CREATE UNIQUE INDEX users_email_key ON app.users USING btree (lower(email));

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_employee_fk FOREIGN KEY (tenant_id, employee_id) REFERENCES app.employees(tenant_id, id);

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_pour_fk FOREIGN KEY (tenant_id, pour_id) REFERENCES app.pours(tenant_id, id);

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.audit_log
    ADD CONSTRAINT audit_log_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.billing
    ADD CONSTRAINT billing_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.crew_members
    ADD CONSTRAINT crew_members_crew_fk FOREIGN KEY (tenant_id, crew_id) REFERENCES app.crews(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.crew_members
    ADD CONSTRAINT crew_members_employee_fk FOREIGN KEY (tenant_id, employee_id) REFERENCES app.employees(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.crew_members
    ADD CONSTRAINT crew_members_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.crews
    ADD CONSTRAINT crews_foreman_fk FOREIGN KEY (tenant_id, foreman_id) REFERENCES app.employees(tenant_id, id);

ALTER TABLE ONLY app.crews
    ADD CONSTRAINT crews_region_fk FOREIGN KEY (tenant_id, region_id) REFERENCES app.regions(tenant_id, id);

ALTER TABLE ONLY app.crews
    ADD CONSTRAINT crews_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.customers
    ADD CONSTRAINT customers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.employees
    ADD CONSTRAINT employees_region_fk FOREIGN KEY (tenant_id, region_id) REFERENCES app.regions(tenant_id, id);

ALTER TABLE ONLY app.employees
    ADD CONSTRAINT employees_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.impersonations
    ADD CONSTRAINT impersonations_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.impersonations
    ADD CONSTRAINT impersonations_tenant_id_user_id_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES app.memberships(tenant_id, user_id) ON DELETE CASCADE;

ALTER TABLE ONLY app.invitations
    ADD CONSTRAINT invitations_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.memberships
    ADD CONSTRAINT memberships_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.memberships
    ADD CONSTRAINT memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.mfa_challenges
    ADD CONSTRAINT mfa_challenges_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.mfa_challenges
    ADD CONSTRAINT mfa_challenges_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.outbox
    ADD CONSTRAINT outbox_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.outbox
    ADD CONSTRAINT outbox_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.password_history
    ADD CONSTRAINT password_history_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.pours
    ADD CONSTRAINT pours_crew_fk FOREIGN KEY (tenant_id, crew_id) REFERENCES app.crews(tenant_id, id);

ALTER TABLE ONLY app.pours
    ADD CONSTRAINT pours_project_fk FOREIGN KEY (tenant_id, project_id) REFERENCES app.projects(tenant_id, id);

ALTER TABLE ONLY app.pours
    ADD CONSTRAINT pours_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.projects
    ADD CONSTRAINT projects_customer_fk FOREIGN KEY (tenant_id, customer_id) REFERENCES app.customers(tenant_id, id);

ALTER TABLE ONLY app.projects
    ADD CONSTRAINT projects_region_fk FOREIGN KEY (tenant_id, region_id) REFERENCES app.regions(tenant_id, id);

ALTER TABLE ONLY app.projects
    ADD CONSTRAINT projects_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.recovery_codes
    ADD CONSTRAINT recovery_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.refresh_tokens
    ADD CONSTRAINT refresh_tokens_tenant_id_session_id_fkey FOREIGN KEY (tenant_id, session_id) REFERENCES app.sessions(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.regions
    ADD CONSTRAINT regions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.reminders
    ADD CONSTRAINT reminders_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.sessions
    ADD CONSTRAINT sessions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.sessions
    ADD CONSTRAINT sessions_tenant_id_user_id_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES app.memberships(tenant_id, user_id) ON DELETE CASCADE;

ALTER TABLE ONLY app.user_tokens
    ADD CONSTRAINT user_tokens_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.user_tokens
    ADD CONSTRAINT user_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE app.assignments ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.audit_log ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.billing ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.billing_events ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.crew_members ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.crews ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.customers ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.employees ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.impersonations ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.invitations ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.memberships ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.mfa_challenges ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.outbox ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.password_history ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.pours ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.rate_events ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.recovery_codes ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.refresh_tokens ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.regions ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.reminders ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.sessions ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.tenants ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.user_tokens ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.weather_cache ENABLE ROW LEVEL SECURITY;

