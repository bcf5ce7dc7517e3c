-- The schedule never contradicts itself (API.md, Operating data): an assignment on a pour is on
-- the pour's date, so moving the pour moves it (the foreign key cascades the date), and a
-- canceled pour holds nobody (sql/functions/910_triggers.sql releases its people).

-- What an earlier release let through is put right first, each change audited as the system's:
-- people left on a canceled pour are released; people left on the old day of a moved pour
-- follow it, unless they are booked on its day already (then the stale one goes). The owner
-- sees every workspace's rows meanwhile (row security is forced again below).
ALTER TABLE ONLY app.assignments NO FORCE ROW LEVEL SECURITY;
ALTER TABLE ONLY app.pours NO FORCE ROW LEVEL SECURITY;

do $$
declare
  t uuid;
begin
  for t in select distinct a.tenant_id from app.assignments a
           join app.pours p on p.tenant_id = a.tenant_id and p.id = a.pour_id
           where p.status = 'canceled' or a.date <> p.scheduled_date loop
    perform set_config('app.definer_tenant', t::text, true);
    delete from app.assignments a using app.pours p
      where a.tenant_id = t and p.tenant_id = t and p.id = a.pour_id and p.status = 'canceled';
    with stale as (
      select a.id, p.scheduled_date as day,
             exists (select 1 from app.assignments b where b.tenant_id = t and b.employee_id = a.employee_id
                     and b.date = p.scheduled_date) as taken,
             row_number() over (partition by a.employee_id, p.scheduled_date order by a.created_at, a.id) as n
      from app.assignments a join app.pours p on p.tenant_id = a.tenant_id and p.id = a.pour_id
      where a.tenant_id = t and a.date <> p.scheduled_date),
    gone as (delete from app.assignments a using stale s where a.tenant_id = t and a.id = s.id and (s.taken or s.n > 1))
    update app.assignments a set date = s.day, updated_at = now()
      from stale s where a.tenant_id = t and a.id = s.id and not s.taken and s.n = 1;
  end loop;
  perform set_config('app.definer_tenant', '', true);
end $$;

ALTER TABLE ONLY app.assignments FORCE ROW LEVEL SECURITY;
ALTER TABLE ONLY app.pours FORCE ROW LEVEL SECURITY;

ALTER TABLE ONLY app.pours
    ADD CONSTRAINT pours_id_date UNIQUE (tenant_id, id, scheduled_date);

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_pour_date_fk FOREIGN KEY (tenant_id, pour_id, date)
    REFERENCES app.pours(tenant_id, id, scheduled_date) ON UPDATE CASCADE;

-- conflicts: the other pours of a crew on a date
DROP INDEX app.pours_crew;
CREATE INDEX pours_crew ON app.pours USING btree (tenant_id, crew_id, scheduled_date);
