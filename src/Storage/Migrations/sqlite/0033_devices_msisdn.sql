-- A re-send through push leads each number the SMS did not reach to the devices linked to it
-- (ResendPages.ReadDevicesAsync, DevicesOfNumbersAsync): one probe by number. Without this index each
-- probe read the whole devices table. app, province and id make the probe answer from the index alone.
CREATE INDEX ix_devices_msisdn ON devices (msisdn, app, province, id);
