-- A phone's owner may refuse awareness notifications in the app (POST /api/v1/devices with
-- "awareness": false), as a subscriber refuses awareness SMS: awareness pushes to the device are then
-- planned suppressed (opted-out), warnings and emergencies still reach it. The planner reads the flag
-- with each device page, so it goes into ix_devices_audience (the page stays covered by the index, as
-- 0030 made it); the preview counts the refusals per slice in device_counts.opted_out, kept by the
-- same triggers as the devices themselves (0034), now redefined to carry both counts.
ALTER TABLE devices ADD COLUMN awareness_opt_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE device_counts ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 0;

DROP INDEX ix_devices_audience;
CREATE INDEX ix_devices_audience ON devices (app, province, language, id, msisdn, awareness_opt_out);
-- A re-send through push reads the flag with each device of a number: that probe stays in its index too.
DROP INDEX ix_devices_msisdn;
CREATE INDEX ix_devices_msisdn ON devices (msisdn, app, province, id, awareness_opt_out);

DROP TRIGGER device_counts_insert;
DROP TRIGGER device_counts_delete;
DROP TRIGGER device_counts_update;

CREATE TRIGGER device_counts_insert AFTER INSERT ON devices
BEGIN
    INSERT INTO device_counts (app, province, language, devices, opted_out)
    VALUES (new.app, new.province, new.language, 1, new.awareness_opt_out)
    ON CONFLICT (app, province, language) DO UPDATE SET devices = devices + 1, opted_out = opted_out + excluded.opted_out;
END;

CREATE TRIGGER device_counts_delete AFTER DELETE ON devices
BEGIN
    UPDATE device_counts SET devices = devices - 1, opted_out = opted_out - old.awareness_opt_out
    WHERE app = old.app AND province = old.province AND language = old.language;
END;

-- A registration again rewrites every column; only a move between slices or a changed refusal changes a count.
CREATE TRIGGER device_counts_update AFTER UPDATE OF app, province, language, awareness_opt_out ON devices
WHEN old.app <> new.app OR old.province <> new.province OR old.language <> new.language OR old.awareness_opt_out <> new.awareness_opt_out
BEGIN
    UPDATE device_counts SET devices = devices - 1, opted_out = opted_out - old.awareness_opt_out
    WHERE app = old.app AND province = old.province AND language = old.language;
    INSERT INTO device_counts (app, province, language, devices, opted_out)
    VALUES (new.app, new.province, new.language, 1, new.awareness_opt_out)
    ON CONFLICT (app, province, language) DO UPDATE SET devices = devices + 1, opted_out = opted_out + excluded.opted_out;
END;
