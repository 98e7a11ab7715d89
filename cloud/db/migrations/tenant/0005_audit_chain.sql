-- Hand-written: the tamper-evident audit trail (docs/audit.md). Rows of unified_event_log and
-- compliance_audit_log are hash-chained: a row a cabinet chained keeps its link as it came; every other
-- row is linked here, by a BEFORE INSERT trigger, into the organization's `cloud` chain of its table, so
-- every insert site is covered. The content hashed is an explicit column list in canonical jsonb text,
-- with instants in UTC, whatever the session's time zone.
CREATE FUNCTION audit_hash(prev text, content jsonb) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT encode(sha256(convert_to(prev || E'\n' || content::text, 'UTF8')), 'hex') $$;
--> statement-breakpoint
CREATE FUNCTION audit_event_content(e unified_event_log) RETURNS jsonb
LANGUAGE sql STABLE SET TimeZone TO 'UTC'
AS $$ SELECT jsonb_build_object(
  'event_id', e.event_id, 'event_timestamp', e.event_timestamp, 'event_type', e.event_type,
  'event_category', e.event_category, 'severity', e.severity, 'lab_id', e.lab_id,
  'cabinet_id', e.cabinet_id, 'shelf_id', e.shelf_id, 'user_id', e.user_id, 'user_name', e.user_name,
  'user_role', e.user_role, 'container_id', e.container_id, 'qr_code', e.qr_code,
  'chemical_name', e.chemical_name, 'cas_number', e.cas_number, 'event_details', e.event_details,
  'old_values', e.old_values, 'new_values', e.new_values, 'changes_summary', e.changes_summary,
  'image_reference', e.image_reference, 'video_reference', e.video_reference,
  'related_event_id', e.related_event_id, 'workflow_id', e.workflow_id,
  'parent_event_id', e.parent_event_id, 'ip_address', e.ip_address, 'user_agent', e.user_agent,
  'request_id', e.request_id, 'api_endpoint', e.api_endpoint, 'requires_review', e.requires_review,
  'reviewed_by', e.reviewed_by, 'reviewed_at', e.reviewed_at, 'compliance_flags', e.compliance_flags,
  'osha_relevant', e.osha_relevant, 'epa_relevant', e.epa_relevant, 'dea_relevant', e.dea_relevant) $$;
--> statement-breakpoint
CREATE FUNCTION audit_record_content(a compliance_audit_log) RETURNS jsonb
LANGUAGE sql STABLE SET TimeZone TO 'UTC'
AS $$ SELECT jsonb_build_object(
  'audit_id', a.audit_id, 'event_id', a.event_id, 'audit_timestamp', a.audit_timestamp,
  'audit_category', a.audit_category, 'regulation', a.regulation,
  'regulation_section', a.regulation_section, 'compliance_status', a.compliance_status,
  'reviewed_by', a.reviewed_by, 'reviewed_at', a.reviewed_at, 'auditor_name', a.auditor_name,
  'auditor_notes', a.auditor_notes, 'auditor_signature', a.auditor_signature,
  'retention_until', a.retention_until, 'archive_status', a.archive_status,
  'exported_count', a.exported_count, 'last_exported_at', a.last_exported_at,
  'last_exported_by', a.last_exported_by, 'created_at', a.created_at) $$;
--> statement-breakpoint
-- Appends one link to a chain: the head row is locked until the transaction ends, so concurrent writers
-- take turns and no two rows get the same place. SECURITY DEFINER: the tenant role may not touch heads.
CREATE FUNCTION audit_chain_advance(
  p_table text, p_chain text, p_content jsonb, OUT next_seq bigint, OUT prev_hash text, OUT row_hash text
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
BEGIN
  INSERT INTO audit_chain_heads (table_name, chain_id, seq, hash)
  VALUES (p_table, p_chain, 0, repeat('0', 64)) ON CONFLICT DO NOTHING;
  SELECT h.seq + 1, h.hash INTO next_seq, prev_hash
    FROM audit_chain_heads h WHERE h.table_name = p_table AND h.chain_id = p_chain FOR UPDATE;
  row_hash := audit_hash(prev_hash, p_content);
  UPDATE audit_chain_heads h SET seq = next_seq, hash = row_hash, updated_at = now()
   WHERE h.table_name = p_table AND h.chain_id = p_chain;
END $$;
--> statement-breakpoint
CREATE FUNCTION unified_event_log_chain() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE link record;
BEGIN
  -- A cabinet's own chain, kept as it came (sync checks that it names the uploading cabinet's log).
  IF NEW.chain_id LIKE 'device:%' THEN RETURN NEW; END IF;
  SELECT * INTO link FROM audit_chain_advance('unified_event_log', 'cloud', audit_event_content(NEW));
  NEW.chain_id := 'cloud';
  NEW.chain_seq := link.next_seq;
  NEW.prev_hash := link.prev_hash;
  NEW.row_hash := link.row_hash;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE FUNCTION compliance_audit_log_chain() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE link record;
BEGIN
  SELECT * INTO link FROM audit_chain_advance('compliance_audit_log', 'cloud', audit_record_content(NEW));
  NEW.chain_id := 'cloud';
  NEW.chain_seq := link.next_seq;
  NEW.prev_hash := link.prev_hash;
  NEW.row_hash := link.row_hash;
  RETURN NEW;
END $$;
--> statement-breakpoint
-- The regulated subset of the event log: the writer names a category in compliance_flags, or the
-- regulatory flags and safety events imply one. Same transaction as the event, whoever inserted it.
CREATE FUNCTION unified_event_log_regulated() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE category text := coalesce(
  NEW.compliance_flags->>'audit_category',
  CASE
    WHEN NEW.dea_relevant THEN 'controlled_substance'
    WHEN NEW.epa_relevant THEN 'hazardous_waste'
    WHEN NEW.osha_relevant OR NEW.event_type = 'safety' THEN 'safety_incident'
  END);
BEGIN
  IF category IS NULL THEN RETURN NULL; END IF;
  INSERT INTO compliance_audit_log
    (event_id, audit_timestamp, audit_category, regulation, regulation_section, compliance_status, retention_until)
  VALUES (
    NEW.event_id, NEW.event_timestamp, category,
    coalesce(NEW.compliance_flags->>'regulation', CASE category
      WHEN 'controlled_substance' THEN 'DEA_21_CFR_1304'
      WHEN 'hazardous_waste' THEN 'EPA_RCRA'
      WHEN 'safety_incident' THEN 'OSHA_1910.1450'
      WHEN 'inventory_audit' THEN 'OSHA_1910.1450'
      ELSE '21_CFR_Part_11' END),
    NEW.compliance_flags->>'regulation_section',
    CASE WHEN NEW.requires_review THEN 'flagged' ELSE 'compliant' END,
    ((NEW.event_timestamp AT TIME ZONE 'UTC') + interval '7 years')::date);
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Append-only for every role but a superuser, who could disable the trigger anyway: what a superuser
-- changes, the hash chain shows (`lilo cloud audit verify`).
CREATE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = '42501';
END $$;
--> statement-breakpoint
-- Rows written before this migration join the cloud chain in the order they were recorded.
DO $$
DECLARE e unified_event_log; a compliance_audit_log; link record;
BEGIN
  FOR e IN SELECT * FROM unified_event_log WHERE chain_id IS NULL ORDER BY event_timestamp, event_id LOOP
    SELECT * INTO link FROM audit_chain_advance('unified_event_log', 'cloud', audit_event_content(e));
    UPDATE unified_event_log SET chain_id = 'cloud', chain_seq = link.next_seq,
      prev_hash = link.prev_hash, row_hash = link.row_hash WHERE event_id = e.event_id;
  END LOOP;
  FOR a IN SELECT * FROM compliance_audit_log WHERE chain_id IS NULL ORDER BY audit_timestamp, audit_id LOOP
    SELECT * INTO link FROM audit_chain_advance('compliance_audit_log', 'cloud', audit_record_content(a));
    UPDATE compliance_audit_log SET chain_id = 'cloud', chain_seq = link.next_seq,
      prev_hash = link.prev_hash, row_hash = link.row_hash WHERE audit_id = a.audit_id;
  END LOOP;
END $$;
--> statement-breakpoint
CREATE TRIGGER unified_event_log_chain BEFORE INSERT ON unified_event_log
FOR EACH ROW EXECUTE FUNCTION unified_event_log_chain();
--> statement-breakpoint
CREATE TRIGGER unified_event_log_regulated AFTER INSERT ON unified_event_log
FOR EACH ROW EXECUTE FUNCTION unified_event_log_regulated();
--> statement-breakpoint
CREATE TRIGGER compliance_audit_log_chain BEFORE INSERT ON compliance_audit_log
FOR EACH ROW EXECUTE FUNCTION compliance_audit_log_chain();
--> statement-breakpoint
CREATE TRIGGER unified_event_log_append_only BEFORE UPDATE OR DELETE ON unified_event_log
FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER unified_event_log_no_truncate BEFORE TRUNCATE ON unified_event_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER compliance_audit_log_append_only BEFORE UPDATE OR DELETE ON compliance_audit_log
FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER compliance_audit_log_no_truncate BEFORE TRUNCATE ON compliance_audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
FOR EACH ROW EXECUTE FUNCTION audit_append_only();
