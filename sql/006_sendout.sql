-- Sending the schedule to the crews: each employee's preferred channel, the day sheets sent
-- (a hash per employee and date, so sending again sends only what changed), the automatic
-- send-out's setting and its claims (once per person and day, whichever server runs it), and
-- the read-only crew links (stored as SHA-256 hashes only).

alter table app.employees add column channel text not null default 'both'
  constraint employees_channel_check check (channel = any (array['email', 'sms', 'both']));

alter table app.tenants add column sheets_send_at time without time zone;

create table app.sheet_sends (
    tenant_id uuid not null references app.tenants(id) on delete cascade,
    employee_id uuid not null,
    date date not null,
    hash text not null,
    sent_at timestamp with time zone default now() not null,
    primary key (tenant_id, employee_id, date),
    constraint sheet_sends_employee_fk foreign key (tenant_id, employee_id)
      references app.employees(tenant_id, id) on delete cascade
);
alter table app.sheet_sends enable row level security;
alter table app.sheet_sends force row level security;

create table app.sheet_auto (
    tenant_id uuid not null references app.tenants(id) on delete cascade,
    employee_id uuid not null,
    date date not null,
    claimed_at timestamp with time zone default now() not null,
    primary key (tenant_id, employee_id, date),
    constraint sheet_auto_employee_fk foreign key (tenant_id, employee_id)
      references app.employees(tenant_id, id) on delete cascade
);
alter table app.sheet_auto enable row level security;
alter table app.sheet_auto force row level security;

create table app.crew_links (
    tenant_id uuid not null references app.tenants(id) on delete cascade,
    id uuid default gen_random_uuid() not null,
    employee_id uuid not null,
    token_hash bytea not null,
    created_at timestamp with time zone default now() not null,
    last_used_at timestamp with time zone,
    opened_audit_at timestamp with time zone,
    revoked_at timestamp with time zone,
    primary key (tenant_id, id),
    constraint crew_links_employee_fk foreign key (tenant_id, employee_id)
      references app.employees(tenant_id, id) on delete cascade
);
create unique index crew_links_token on app.crew_links (token_hash);
create unique index crew_links_live on app.crew_links (tenant_id, employee_id) where revoked_at is null;
alter table app.crew_links enable row level security;
alter table app.crew_links force row level security;
