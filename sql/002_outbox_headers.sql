-- A mail's headers come from its row: a subject or recipient with a line break in it would
-- add headers of the writer's choosing (Bcc:, a second body), whoever wrote the row. Refused
-- here for every writer; rows written before stay as they were (NOT VALID).
alter table app.outbox add constraint outbox_headers_single_line
  check (subject !~ '[\r\n]' and recipient !~ '[\r\n]') not valid;
