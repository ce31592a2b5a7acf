-- The planner's device page reads id, province and msisdn of one (app, province, language) range.
-- Without msisdn in the index each page looked up every row in the table itself: at 1M devices of
-- about 400 bytes each (the protected token), planning ran at 10,800 devices/s while the lanes sent
-- (perf/README, "Push to devices"). With it the page is read from the index alone. msisdn goes last,
-- after id, so the range is still walked in id order (the keyset cursor).
-- Numbered 0030: main's 0029 (pruned_devices) was written at the same time; the two are independent.
DROP INDEX ix_devices_audience;
CREATE INDEX ix_devices_audience ON devices (app, province, language, id, msisdn);
