-- Devices per app, province and language, for the push preview (SQL Server). Same reason and meaning
-- as sqlite/0034_device_counts.sql. One statement-level trigger folds inserted and deleted rows per
-- slice, so a prune of 500 devices is one MERGE, and an update that moves no device changes nothing.
CREATE TABLE device_counts (
    app      VARCHAR(64)  NOT NULL,
    province NVARCHAR(16) NOT NULL,
    language VARCHAR(8)   NOT NULL,
    devices  BIGINT       NOT NULL,
    CONSTRAINT pk_device_counts PRIMARY KEY (app, province, language)
);
GO
INSERT INTO device_counts (app, province, language, devices)
SELECT app, province, language, COUNT_BIG(*) FROM devices GROUP BY app, province, language;
GO
CREATE TRIGGER device_counts_kept ON devices AFTER INSERT, UPDATE, DELETE
AS
BEGIN
    SET NOCOUNT ON;
    -- HOLDLOCK: two first registrations in a new slice must not both insert its row.
    MERGE device_counts WITH (HOLDLOCK) AS c
    USING (
        SELECT app, province, language, SUM(n) AS n FROM (
            SELECT app, province, language, CAST(1 AS BIGINT) AS n FROM inserted
            UNION ALL
            SELECT app, province, language, CAST(-1 AS BIGINT) FROM deleted) AS moved
        GROUP BY app, province, language
        HAVING SUM(n) <> 0) AS d
    ON c.app = d.app AND c.province = d.province AND c.language = d.language
    WHEN MATCHED THEN UPDATE SET devices = c.devices + d.n
    WHEN NOT MATCHED THEN INSERT (app, province, language, devices) VALUES (d.app, d.province, d.language, d.n);
END
GO
