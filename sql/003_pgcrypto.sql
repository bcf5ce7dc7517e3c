-- bcrypt in the database (pgcrypto's crypt), so that a session is made only on a proof its
-- caller can't forge: the peppered password, which needs the pepper, which the database never
-- holds. The extension is trusted (the database owner may create it) and lives in a schema of
-- its own that no other role may use.
create schema if not exists ext;
create extension if not exists pgcrypto with schema ext;
