-- Trips for agencies: a workspace plans either field work (pours and crews) or trips, and
-- the trips of its clients (customers) carry their dates and travellers. Reminders can be
-- about a trip.
alter table app.tenants add column kind text not null default 'field';
alter table app.tenants add constraint tenants_kind_check check (kind = any (array['field'::text, 'trips'::text]));

CREATE TABLE app.trips (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    customer_id uuid NOT NULL,
    name text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    destination text,
    status text DEFAULT 'inquiry'::text NOT NULL,
    notes text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT trips_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT trips_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE,
    CONSTRAINT trips_customer_fk FOREIGN KEY (tenant_id, customer_id) REFERENCES app.customers(tenant_id, id),
    CONSTRAINT trips_dates_check CHECK (end_date >= start_date),
    CONSTRAINT trips_status_check CHECK (status = ANY (ARRAY['inquiry'::text, 'booked'::text, 'traveling'::text, 'done'::text, 'canceled'::text]))
);
ALTER TABLE app.trips ENABLE ROW LEVEL SECURITY;
ALTER TABLE ONLY app.trips FORCE ROW LEVEL SECURITY;
CREATE INDEX trips_dates ON app.trips USING btree (tenant_id, start_date, id);
CREATE INDEX trips_customer ON app.trips USING btree (tenant_id, customer_id);

-- A traveller is personal data: only what planning a trip needs (a name, a birth date for
-- fares and documents, one way to reach them, notes).
CREATE TABLE app.travelers (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    trip_id uuid NOT NULL,
    name text NOT NULL,
    birth_date date,
    contact text,
    notes text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT travelers_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT travelers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE,
    CONSTRAINT travelers_trip_fk FOREIGN KEY (tenant_id, trip_id) REFERENCES app.trips(tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE app.travelers ENABLE ROW LEVEL SECURITY;
ALTER TABLE ONLY app.travelers FORCE ROW LEVEL SECURITY;
CREATE INDEX travelers_page ON app.travelers USING btree (tenant_id, created_at, id);
CREATE INDEX travelers_trip ON app.travelers USING btree (tenant_id, trip_id);

alter table app.reminders drop constraint reminders_subject_type_check;
alter table app.reminders add constraint reminders_subject_type_check
  check (subject_type = any (array['customer'::text, 'project'::text, 'pour'::text, 'trip'::text]));
