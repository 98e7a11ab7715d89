-- Hand-written: the cloud now accepts a transaction only when source_cabinet_id names the uploading
-- cabinet. Returns recorded before carried only return_cabinet_id (the same cabinet: a cabinet records
-- returns to itself), so fill it in, locally and in changes not yet uploaded, or they would be refused.
UPDATE `container_transactions` SET `source_cabinet_id` = `return_cabinet_id`
WHERE `source_cabinet_id` IS NULL AND `return_cabinet_id` IS NOT NULL;
--> statement-breakpoint
UPDATE `change_log` SET `payload` = json_set(`payload`, '$.source_cabinet_id', json_extract(`payload`, '$.return_cabinet_id'))
WHERE `entity` = 'container_transactions'
  AND json_extract(`payload`, '$.source_cabinet_id') IS NULL
  AND json_extract(`payload`, '$.return_cabinet_id') IS NOT NULL;
