-- When a lane began handing a batch to a carrier that cannot recognise a repeat (SQL Server). Same
-- reason and meaning as sqlite/0016_submit_mark.sql.
ALTER TABLE batches ADD submit_started_at BIGINT NULL;
