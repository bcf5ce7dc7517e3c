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

-- Nothing is reachable through the public schema.
revoke all on schema public from public;

grant usage on schema app to planyard_app;
revoke create on schema app from public;
alter role planyard_app set search_path = app;
