-- A device's refusal of awareness notifications (SQL Server). Same reason and meaning as
-- sqlite/0035_device_awareness_opt_out.sql; the one trigger of 0034 is redefined to fold both counts.
ALTER TABLE devices ADD awareness_opt_out BIT NOT NULL CONSTRAINT df_devices_awareness_opt_out DEFAULT 0;
ALTER TABLE device_counts ADD opted_out BIGINT NOT NULL CONSTRAINT df_device_counts_opted_out DEFAULT 0;
GO
DROP INDEX ix_devices_audience ON devices;
CREATE INDEX ix_devices_audience ON devices (app, province, language, id, msisdn, awareness_opt_out);
DROP INDEX ix_devices_msisdn ON devices;
CREATE INDEX ix_devices_msisdn ON devices (msisdn, app, province, id, awareness_opt_out);
GO
ALTER TRIGGER device_counts_kept ON devices AFTER INSERT, UPDATE, DELETE
AS
BEGIN
    SET NOCOUNT ON;
    -- HOLDLOCK: two first registrations in a new slice must not both insert its row.
    MERGE device_counts WITH (HOLDLOCK) AS c
    USING (
        SELECT app, province, language, SUM(n) AS n, SUM(o) AS o FROM (
            SELECT app, province, language, CAST(1 AS BIGINT) AS n, CAST(awareness_opt_out AS BIGINT) AS o FROM inserted
            UNION ALL
            SELECT app, province, language, CAST(-1 AS BIGINT), -CAST(awareness_opt_out AS BIGINT) FROM deleted) AS moved
        GROUP BY app, province, language
        HAVING SUM(n) <> 0 OR SUM(o) <> 0) AS d
    ON c.app = d.app AND c.province = d.province AND c.language = d.language
    WHEN MATCHED THEN UPDATE SET devices = c.devices + d.n, opted_out = c.opted_out + d.o
    WHEN NOT MATCHED THEN INSERT (app, province, language, devices, opted_out) VALUES (d.app, d.province, d.language, d.n, d.o);
END
GO
