-- How many devices each app has per province and language: the push preview reads these
-- (DeviceAudience.CountAsync) instead of counting an app's index entries, which took seconds at
-- millions of devices on every create and read of a campaign. Kept by triggers, so every path that
-- writes devices (registration, removal, pruning, a later migration that moves provinces, the perf
-- seeder) keeps them in the same transaction, and none can forget. A row that falls to 0 stays.
CREATE TABLE device_counts (
    app      TEXT    NOT NULL,
    province TEXT    NOT NULL,
    language TEXT    NOT NULL,
    devices  INTEGER NOT NULL,
    PRIMARY KEY (app, province, language)
) WITHOUT ROWID;

INSERT INTO device_counts (app, province, language, devices)
SELECT app, province, language, COUNT(*) FROM devices GROUP BY app, province, language;

CREATE TRIGGER device_counts_insert AFTER INSERT ON devices
BEGIN
    INSERT INTO device_counts (app, province, language, devices) VALUES (new.app, new.province, new.language, 1)
    ON CONFLICT (app, province, language) DO UPDATE SET devices = devices + 1;
END;

CREATE TRIGGER device_counts_delete AFTER DELETE ON devices
BEGIN
    UPDATE device_counts SET devices = devices - 1
    WHERE app = old.app AND province = old.province AND language = old.language;
END;

-- A registration again rewrites every column; only a move between slices changes a count.
CREATE TRIGGER device_counts_update AFTER UPDATE OF app, province, language ON devices
WHEN old.app <> new.app OR old.province <> new.province OR old.language <> new.language
BEGIN
    UPDATE device_counts SET devices = devices - 1
    WHERE app = old.app AND province = old.province AND language = old.language;
    INSERT INTO device_counts (app, province, language, devices) VALUES (new.app, new.province, new.language, 1)
    ON CONFLICT (app, province, language) DO UPDATE SET devices = devices + 1;
END;
