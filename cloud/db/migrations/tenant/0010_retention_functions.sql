-- Hand-written: retention of the audit trail (docs/retention.md). The tenant role cannot delete audit
-- rows; these SECURITY DEFINER functions are the one narrow path: they delete only the rows named that
-- are past their retention and not under a legal hold, and only after leaving each row's link in
-- audit_pruned_links (place, previous hash, hash, archive checksum) so that the chain still verifies.
-- The helpers are plain SQL without SET clauses so that the planner inlines them into the queries that
-- use them (a function with SET is called row by row); they run in the tenant's search_path, and inside
-- retention_prune in the one it pins.
-- The floors below are the legal minimums (cloud/retention/retention-policy.ts): an organization's
-- setting can lengthen a period, never shorten it, even if the settings table were edited by hand.
CREATE FUNCTION retention_days(p_class text) RETURNS integer
LANGUAGE sql STABLE
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
-- When each audit record class expires as of p_now: a handful of rows, computed once per query.
CREATE FUNCTION retention_cutoffs(p_now timestamptz) RETURNS TABLE (record_class text, cutoff timestamptz)
LANGUAGE sql STABLE
AS $$ SELECT k, p_now - make_interval(days => greatest(retention_days('audit_log'), retention_days(k)))
        FROM unnest(ARRAY['audit_log', 'exposure_record', 'controlled_substance', 'hazardous_waste']) k $$;
--> statement-breakpoint
-- Whether a hold in force covers the organization (every record), the cabinet or the container.
CREATE FUNCTION retention_hold_covers(h legal_holds, p_cabinet uuid, p_container uuid) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT h.released_at IS NULL AND (
  h.scope_type = 'organization'
  OR (h.scope_type = 'cabinet' AND h.scope_id = p_cabinet)
  OR (h.scope_type = 'container' AND h.scope_id = p_container)) $$;
--> statement-breakpoint
-- Chained event rows past their class's retention (a row with broken chain columns stays, for verify to
-- report), held or not.
CREATE FUNCTION retention_past_events(p_now timestamptz) RETURNS SETOF unified_event_log
LANGUAGE sql STABLE
AS $$ SELECT e.* FROM unified_event_log e JOIN retention_cutoffs(p_now) c ON c.record_class = retention_event_class(e)
  WHERE e.event_timestamp <= c.cutoff
    -- No class is kept shorter than the audit log: an index range bounds the scan.
    AND e.event_timestamp <= p_now - make_interval(days => retention_days('audit_log'))
    AND e.chain_id IS NOT NULL AND e.chain_seq IS NOT NULL AND e.prev_hash IS NOT NULL AND e.row_hash IS NOT NULL $$;
--> statement-breakpoint
-- Of those, the ones that may go: under no hold, and referenced by nothing that stays (a compliance
-- record, a signature, another event).
CREATE FUNCTION retention_expired_events(p_now timestamptz) RETURNS SETOF unified_event_log
LANGUAGE sql STABLE
AS $$ SELECT e.* FROM retention_past_events(p_now) e
  WHERE NOT EXISTS (SELECT 1 FROM legal_holds h WHERE retention_hold_covers(h, e.cabinet_id, e.container_id))
    AND NOT EXISTS (SELECT 1 FROM compliance_audit_log a WHERE a.event_id = e.event_id)
    AND NOT EXISTS (SELECT 1 FROM electronic_signatures s WHERE s.event_id = e.event_id)
    AND NOT EXISTS (SELECT 1 FROM unified_event_log c WHERE c.related_event_id = e.event_id AND c.event_id <> e.event_id)
    AND NOT EXISTS (SELECT 1 FROM unified_event_log c WHERE c.parent_event_id = e.event_id AND c.event_id <> e.event_id) $$;
--> statement-breakpoint
-- Compliance records past both their own retention_until and their class's period, with whether a hold
-- on their event's cabinet or container (or the organization) keeps them.
CREATE FUNCTION retention_past_records(p_now timestamptz)
RETURNS TABLE (audit_id uuid, audit_timestamp timestamptz, held boolean)
LANGUAGE sql STABLE
AS $$ SELECT a.audit_id, a.audit_timestamp,
             EXISTS (SELECT 1 FROM legal_holds h WHERE retention_hold_covers(h, e.cabinet_id, e.container_id))
        FROM compliance_audit_log a
        JOIN retention_cutoffs(p_now) c ON c.record_class = retention_class_of(a.audit_category)
        JOIN unified_event_log e ON e.event_id = a.event_id
  WHERE a.audit_timestamp <= c.cutoff AND a.retention_until < (p_now AT TIME ZONE 'UTC')::date
    AND a.audit_timestamp <= p_now - make_interval(days => retention_days('audit_log'))
    AND a.chain_id IS NOT NULL AND a.chain_seq IS NOT NULL AND a.prev_hash IS NOT NULL AND a.row_hash IS NOT NULL $$;
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
      FROM retention_expired_events(p_now) e
     WHERE e.event_id = ANY(p_ids)
    ON CONFLICT DO NOTHING;
    DELETE FROM unified_event_log e USING audit_pruned_links p
     WHERE p.table_name = p_table AND p.row_id = e.event_id AND e.event_id = ANY(p_ids);
  ELSIF p_table = 'compliance_audit_log' THEN
    INSERT INTO audit_pruned_links (table_name, row_id, chain_id, seq, prev_hash, row_hash, record_class, archive_sha256)
    SELECT p_table, a.audit_id, a.chain_id, a.chain_seq, a.prev_hash, a.row_hash, retention_class_of(a.audit_category), p_archive_sha256
      FROM compliance_audit_log a JOIN retention_past_records(p_now) r USING (audit_id)
     WHERE a.audit_id = ANY(p_ids) AND NOT r.held
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
