-- The reference for GET /pours: the same rows and index in a copy of app.pours, isolated the
-- cheapest sound way (a transaction-local tenant setting, a forced policy on it, a role that
-- can read nothing else), so that pgbench running bench/pours-ref.pgbench measures what the
-- read itself costs PostgreSQL. Run as the superuser after the bench data is loaded.
\set ON_ERROR_STOP on
drop schema if exists ref cascade;
do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'planyard_bench_ref') then
    create role planyard_bench_ref login;
  end if;
end $$;
create schema ref;
create table ref.tenants as select id, slug from app.tenants;
create unique index on ref.tenants (slug);
create table ref.pours (like app.pours including defaults);
insert into ref.pours select * from app.pours;
create index pours_date on ref.pours (tenant_id, scheduled_date, id);
create index pours_crew on ref.pours (tenant_id, crew_id, scheduled_date);
alter table ref.pours enable row level security;
alter table ref.pours force row level security;
create policy tenant on ref.pours for select
  using (tenant_id = nullif(current_setting('ref.tenant', true), '')::uuid);
grant usage on schema ref, app to planyard_bench_ref;
grant select on ref.tenants, ref.pours to planyard_bench_ref;
grant execute on function app.ts(timestamptz), app.hhmm(time), app.jtext(text) to planyard_bench_ref;
vacuum analyze ref.tenants, ref.pours;
