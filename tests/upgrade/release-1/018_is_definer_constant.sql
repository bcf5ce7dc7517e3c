-- app.is_definer() runs in every policy check of every statement: compare with the schema
-- owner's name written in at migration time instead of looking it up in the catalog on each
-- call (an inlined constant comparison). The owner of schema app is the same role as before.
do $$
declare
  owner name := (select r.rolname from pg_catalog.pg_namespace n join pg_catalog.pg_roles r on r.oid = n.nspowner
                 where n.nspname = 'app');
begin
  execute format('create or replace function app.is_definer() returns boolean language sql stable as %L',
                 format('select current_user = %L::name', owner));
end $$;
