-- Hand-written: a signature is never changed or withdrawn in place (docs/audit.md); the tenant role
-- has no UPDATE or DELETE on it either (cloud/db/migrator.ts).
CREATE TRIGGER electronic_signatures_append_only BEFORE UPDATE OR DELETE ON electronic_signatures
FOR EACH ROW EXECUTE FUNCTION audit_append_only();
