-- Hand-written: retention of the audit trail (docs/retention.md). The tenant role cannot delete audit
-- rows; these SECURITY DEFINER functions are the one narrow path: they delete only the rows named that
-- are past their retention and not under a legal hold, and only after leaving each row's link in
-- audit_pruned_links (place, previous hash, hash, archive checksum) so that the chain still verifies.
-- The floors below are the legal minimums (cloud/retention/retention-policy.ts): an organization's
-- setting can lengthen a period, never shorten it, even if the settings table were edited by hand.
CREATE FUNCTION retention_days(p_class text) RETURNS integer
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT greatest(
  coalesce((SELECT s.days FROM retention_settings s WHERE s.record_class = p_class), 0),
  CASE p_class
    WHEN 'audit_log' THEN 2557
    WHEN 'exposure_record' THEN 10958
    WHEN 'controlled_substance' THEN 731
    WHEN 'hazardous_waste' THEN 1096
    ELSE 0 END) $$;
--> statement-breakpoint
-- The record class of an audit category; every class is kept at least as long as the audit log.
CREATE FUNCTION retention_class_of(p_category text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE p_category
  WHEN 'safety_incident' THEN 'exposure_record'
  WHEN 'controlled_substance' THEN 'controlled_substance'
  WHEN 'hazardous_waste' THEN 'hazardous_waste'
  ELSE 'audit_log' END $$;
--> statement-breakpoint
CREATE FUNCTION retention_event_class(e unified_event_log) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT retention_class_of(coalesce(
  e.compliance_flags->>'audit_category',
  CASE
    WHEN e.osha_relevant OR e.event_type = 'safety' THEN 'safety_incident'
    WHEN e.dea_relevant THEN 'controlled_substance'
    WHEN e.epa_relevant THEN 'hazardous_waste'
  END)) $$;
--> statement-breakpoint
CREATE FUNCTION retention_kept_until(p_at timestamptz, p_class text) RETURNS timestamptz
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT p_at + make_interval(days => greatest(retention_days('audit_log'), retention_days(p_class))) $$;
--> statement-breakpoint
-- Whether a legal hold covers the organization (every record), the cabinet or the container.
CREATE FUNCTION retention_held(p_cabinet uuid, p_container uuid) RETURNS boolean
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND (
  h.scope_type = 'organization'
  OR (h.scope_type = 'cabinet' AND h.scope_id = p_cabinet)
  OR (h.scope_type = 'container' AND h.scope_id = p_container))) $$;
--> statement-breakpoint
-- An event row may go when it is a link of a chain (a row with broken chain columns stays, for verify
-- to report), past retention, not held, and referenced by nothing that stays (a compliance
-- record, a signature, another event).
CREATE FUNCTION retention_event_expired(e unified_event_log, p_now timestamptz) RETURNS boolean
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT e.chain_seq IS NOT NULL AND e.prev_hash IS NOT NULL AND e.row_hash IS NOT NULL
    AND retention_kept_until(e.event_timestamp, retention_event_class(e)) <= p_now
    AND NOT retention_held(e.cabinet_id, e.container_id)
    AND NOT EXISTS (SELECT 1 FROM compliance_audit_log a WHERE a.event_id = e.event_id)
    AND NOT EXISTS (SELECT 1 FROM electronic_signatures s WHERE s.event_id = e.event_id)
    AND NOT EXISTS (SELECT 1 FROM unified_event_log c
                     WHERE c.event_id <> e.event_id
                       AND (c.related_event_id = e.event_id OR c.parent_event_id = e.event_id)) $$;
--> statement-breakpoint
CREATE FUNCTION retention_record_expired(a compliance_audit_log, p_now timestamptz) RETURNS boolean
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT a.chain_seq IS NOT NULL AND a.prev_hash IS NOT NULL AND a.row_hash IS NOT NULL
    AND greatest((a.retention_until + 1)::timestamp AT TIME ZONE 'UTC',
                      retention_kept_until(a.audit_timestamp, retention_class_of(a.audit_category))) <= p_now
    AND NOT EXISTS (SELECT 1 FROM unified_event_log e
                     WHERE e.event_id = a.event_id AND retention_held(e.cabinet_id, e.container_id)) $$;
--> statement-breakpoint
-- The oldest expired rows, a batch at a time; no class is kept shorter than the audit log, which bounds
-- the index range scanned.
CREATE FUNCTION retention_expired_events(p_now timestamptz, p_limit integer)
RETURNS SETOF unified_event_log
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT e.* FROM unified_event_log e
  WHERE e.event_timestamp <= p_now - make_interval(days => retention_days('audit_log'))
    AND e.chain_id IS NOT NULL AND retention_event_expired(e, p_now)
  ORDER BY e.event_timestamp, e.event_id LIMIT p_limit $$;
--> statement-breakpoint
CREATE FUNCTION retention_expired_records(p_now timestamptz, p_limit integer)
RETURNS SETOF compliance_audit_log
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT a.* FROM compliance_audit_log a
  WHERE a.retention_until < (p_now AT TIME ZONE 'UTC')::date
    AND a.audit_timestamp <= p_now - make_interval(days => retention_days('audit_log'))
    AND a.chain_id IS NOT NULL AND retention_record_expired(a, p_now)
  ORDER BY a.audit_timestamp, a.audit_id LIMIT p_limit $$;
--> statement-breakpoint
-- Deletes those of p_ids that are still expired and not held, leaving their links; returns how many.
CREATE FUNCTION retention_prune(p_table text, p_ids uuid[], p_archive_sha256 text, p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
DECLARE n integer;
BEGIN
  IF p_archive_sha256 IS NULL OR p_archive_sha256 !~ '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'retention deletes only archived rows: an archive sha256 is required' USING ERRCODE = '22023';
  END IF;
  IF p_now > now() + interval '1 minute' THEN
    RAISE EXCEPTION 'retention cannot run in the future' USING ERRCODE = '22023';
  END IF;
  IF p_table = 'unified_event_log' THEN
    INSERT INTO audit_pruned_links (table_name, row_id, chain_id, seq, prev_hash, row_hash, record_class, archive_sha256)
    SELECT p_table, e.event_id, e.chain_id, e.chain_seq, e.prev_hash, e.row_hash, retention_event_class(e), p_archive_sha256
      FROM unified_event_log e
     WHERE e.event_id = ANY(p_ids) AND e.chain_id IS NOT NULL AND retention_event_expired(e, p_now)
    ON CONFLICT DO NOTHING;
    DELETE FROM unified_event_log e USING audit_pruned_links p
     WHERE p.table_name = p_table AND p.row_id = e.event_id AND e.event_id = ANY(p_ids);
  ELSIF p_table = 'compliance_audit_log' THEN
    INSERT INTO audit_pruned_links (table_name, row_id, chain_id, seq, prev_hash, row_hash, record_class, archive_sha256)
    SELECT p_table, a.audit_id, a.chain_id, a.chain_seq, a.prev_hash, a.row_hash, retention_class_of(a.audit_category), p_archive_sha256
      FROM compliance_audit_log a
     WHERE a.audit_id = ANY(p_ids) AND a.chain_id IS NOT NULL AND retention_record_expired(a, p_now)
    ON CONFLICT DO NOTHING;
    DELETE FROM compliance_audit_log a USING audit_pruned_links p
     WHERE p.table_name = p_table AND p.row_id = a.audit_id AND a.audit_id = ANY(p_ids);
  ELSE
    RAISE EXCEPTION 'retention_prune: no audit table %', p_table USING ERRCODE = '22023';
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
--> statement-breakpoint
-- Append-only as before (0005), except that a row whose link retention has recorded may be deleted.
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE pruned boolean;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME IN ('unified_event_log', 'compliance_audit_log') THEN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.audit_pruned_links WHERE table_name = $1 AND row_id = $2)',
                   TG_TABLE_SCHEMA)
      INTO pruned
      USING TG_TABLE_NAME, (to_jsonb(OLD)->>(CASE TG_TABLE_NAME WHEN 'unified_event_log' THEN 'event_id' ELSE 'audit_id' END))::uuid;
    IF pruned THEN RETURN OLD; END IF;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = '42501';
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_pruned_links_append_only BEFORE UPDATE OR DELETE ON audit_pruned_links
FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_pruned_links_no_truncate BEFORE TRUNCATE ON audit_pruned_links
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
