-- Change notices owed to people whose day sheet went out: a row per person and pour for each
-- transaction that moved or canceled the pour or took the person off it, written by triggers
-- (sql/functions/085_sendout.sql) whatever made the change (a request, a job, SQL by hand).
-- The server composes and seals the texts, so it drains the rows: the request that made the
-- change before it commits, the cron and `planyard jobs` everything left.
create table app.sheet_notices (
    tenant_id uuid not null references app.tenants(id) on delete cascade,
    id bigint generated always as identity,
    employee_id uuid not null,
    pour_id uuid not null,
    kind text not null constraint sheet_notices_kind_check check (kind = any (array['moved', 'canceled', 'removed'])),
    project text not null,
    old_date date not null,
    old_time text,
    new_date date,
    new_time text,
    xact xid8 default pg_current_xact_id() not null,
    created_at timestamp with time zone default now() not null,
    primary key (tenant_id, id),
    constraint sheet_notices_once unique (tenant_id, employee_id, pour_id, xact),
    constraint sheet_notices_employee_fk foreign key (tenant_id, employee_id)
      references app.employees(tenant_id, id) on delete cascade
);
alter table app.sheet_notices enable row level security;
alter table app.sheet_notices force row level security;

drop function if exists app.sheet_notice_targets(uuid);
