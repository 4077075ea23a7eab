-- pgkube_lock_and_read joins the batch's keys to `objects`. A cached generic plan made while the table
-- was small scans the whole table on every batch as it grows (measured: 5,000 -> 2,200 writes/s at 32k
-- rows). Planning each call with its real arguments keeps it an index lookup per key.
ALTER FUNCTION pgkube_lock_and_read(text[], text[], text[]) SET plan_cache_mode = force_custom_plan;
