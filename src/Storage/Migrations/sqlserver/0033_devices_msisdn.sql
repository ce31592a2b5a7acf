-- Devices by linked number, for a re-send through push (SQL Server). Same reason and meaning as
-- sqlite/0033_devices_msisdn.sql.
CREATE INDEX ix_devices_msisdn ON devices (msisdn, app, province, id);
