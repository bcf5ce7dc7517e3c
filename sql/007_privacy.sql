-- Personal data in the audit log can be erased while the chain still proves everything else.
--
-- A row's hash no longer covers its personal fields themselves (actor_email, changes, ip) but
-- a salted digest of each: pii_digest[i] = sha256(pii_nonce[i] || field name || 0x1f || value),
-- with a random 16-byte nonce per field. Erasing a field replaces its value by the empty
-- marker (null, or {} for changes) and forgets its nonce; the digest stays, so the verifier
-- still recomputes the hash, and without the nonce the digest can't be matched against a
-- guessed address. Rows of hash_version 1 (written by an earlier release) hash the values.
--
-- Existing chains are brought to version 2 here: each workspace's chain is first checked as
-- version 1 and re-sealed only if it verifies, so a chain tampered with before the upgrade
-- still fails GET /audit/verify afterwards (it stays version 1). The owner sees every
-- workspace's rows meanwhile (row security is forced again below).
ALTER TABLE ONLY app.audit_log NO FORCE ROW LEVEL SECURITY;
ALTER TABLE app.audit_log DISABLE TRIGGER USER;

ALTER TABLE app.audit_log
    ADD COLUMN hash_version smallint DEFAULT 1 NOT NULL,
    ADD COLUMN pii_nonce bytea[],
    ADD COLUMN pii_digest bytea[];
ALTER TABLE app.audit_log ALTER COLUMN hash_version SET DEFAULT 2;

UPDATE app.audit_log SET pii_nonce = ARRAY[ext.gen_random_bytes(16), ext.gen_random_bytes(16), ext.gen_random_bytes(16)];
UPDATE app.audit_log SET pii_digest = ARRAY[
    sha256(pii_nonce[1] || convert_to('actor_email' || E'\x1f' || coalesce(actor_email, '\N'), 'UTF8')),
    sha256(pii_nonce[2] || convert_to('changes' || E'\x1f' || changes::text, 'UTF8')),
    sha256(pii_nonce[3] || convert_to('ip' || E'\x1f' || coalesce(ip, '\N'), 'UTF8'))];

WITH RECURSIVE numbered AS (
    SELECT a.*, lag(a.hash) OVER w AS lag_hash, row_number() OVER w AS n
    FROM app.audit_log a
    WINDOW w AS (PARTITION BY a.tenant_id ORDER BY a.seq)
), broken AS (
    SELECT DISTINCT x.tenant_id FROM numbered x
    WHERE x.seq <> x.n OR x.prev_hash IS DISTINCT FROM x.lag_hash
       OR x.hash <> sha256(coalesce(x.prev_hash, ''::bytea) || convert_to(concat_ws(E'\x1f', x.tenant_id::text,
              x.seq::text, x.id::text, to_char(x.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
              coalesce(x.actor_id::text, '\N'), coalesce(x.actor_email, '\N'), x.actor_kind, x.action,
              coalesce(x.entity_type, '\N'), coalesce(x.entity_id, '\N'), x.changes::text, coalesce(x.ip, '\N')), 'UTF8'))
), content AS (
    SELECT a.tenant_id, a.seq, convert_to(concat_ws(E'\x1f', 'v2', a.tenant_id::text, a.seq::text, a.id::text,
              to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), coalesce(a.actor_id::text, '\N'),
              a.actor_kind, a.action, coalesce(a.entity_type, '\N'), coalesce(a.entity_id, '\N'),
              encode(a.pii_digest[1], 'hex'), encode(a.pii_digest[2], 'hex'), encode(a.pii_digest[3], 'hex')),
              'UTF8') AS c
    FROM app.audit_log a
    WHERE a.tenant_id NOT IN (SELECT tenant_id FROM broken)
), chain AS (
    SELECT c.tenant_id, c.seq, NULL::bytea AS prev, sha256(c.c) AS h
    FROM content c WHERE c.seq = 1
    UNION ALL
    SELECT c.tenant_id, c.seq, chain.h, sha256(chain.h || c.c)
    FROM chain JOIN content c ON c.tenant_id = chain.tenant_id AND c.seq = chain.seq + 1
)
UPDATE app.audit_log a SET prev_hash = chain.prev, hash = chain.h, hash_version = 2
FROM chain WHERE a.tenant_id = chain.tenant_id AND a.seq = chain.seq;

ALTER TABLE app.audit_log ENABLE TRIGGER USER;
ALTER TABLE ONLY app.audit_log FORCE ROW LEVEL SECURITY;

ALTER TABLE app.audit_log ADD CONSTRAINT audit_log_pii CHECK (hash_version = 1 OR
    (array_length(pii_nonce, 1) = 3 AND array_length(pii_digest, 1) = 3));

-- A change of login address waits for a link mailed to the new address.
ALTER TABLE app.user_tokens ADD COLUMN new_email text;
ALTER TABLE app.user_tokens DROP CONSTRAINT user_tokens_kind_check;
ALTER TABLE app.user_tokens ADD CONSTRAINT user_tokens_kind_check
    CHECK (kind = ANY (ARRAY['confirm'::text, 'reset'::text, 'email_change'::text]));
