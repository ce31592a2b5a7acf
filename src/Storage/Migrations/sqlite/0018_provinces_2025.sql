-- Provinces as they are from 1 July 2025 (issue 19): the 34 units of Resolution 202/2025/QH15 with
-- the codes of Decision 19/2025/QD-TTg, and the old codes each absorbed. The rows are those of
-- Seed/provinces.csv and Seed/province-remap.csv when this was written; at every start Loa makes the
-- tables a mirror of the files (ProvinceStore), so an operator's later edit wins.
CREATE TABLE provinces (
    code        TEXT    NOT NULL PRIMARY KEY,     -- 2 digits, never reused
    name        TEXT    NOT NULL,
    alias       TEXT    NOT NULL UNIQUE,          -- Loa's abbreviation before 2025, still accepted
    kind        TEXT    NOT NULL                  -- 'province' or 'city'
);
CREATE TABLE province_remaps (
    code        TEXT    NOT NULL PRIMARY KEY,     -- the old code, upper case
    province    TEXT    NOT NULL,                 -- the unit that absorbed it
    scheme      TEXT    NOT NULL,                 -- 'gso', 'loa' or 'iso3166-2'
    name        TEXT    NOT NULL                  -- the old province
);
INSERT INTO provinces (code, name, alias, kind) VALUES
    ('01', 'Hà Nội', 'HN', 'city'),
    ('04', 'Cao Bằng', 'CB', 'province'),
    ('08', 'Tuyên Quang', 'TQ', 'province'),
    ('11', 'Điện Biên', 'DB', 'province'),
    ('12', 'Lai Châu', 'LCH', 'province'),
    ('14', 'Sơn La', 'SL', 'province'),
    ('15', 'Lào Cai', 'LCA', 'province'),
    ('19', 'Thái Nguyên', 'TNG', 'province'),
    ('20', 'Lạng Sơn', 'LS', 'province'),
    ('22', 'Quảng Ninh', 'QNI', 'province'),
    ('24', 'Bắc Ninh', 'BN', 'province'),
    ('25', 'Phú Thọ', 'PT', 'province'),
    ('31', 'Hải Phòng', 'HP', 'city'),
    ('33', 'Hưng Yên', 'HY', 'province'),
    ('37', 'Ninh Bình', 'NB', 'province'),
    ('38', 'Thanh Hóa', 'TH', 'province'),
    ('40', 'Nghệ An', 'NA', 'province'),
    ('42', 'Hà Tĩnh', 'HT', 'province'),
    ('44', 'Quảng Trị', 'QT', 'province'),
    ('46', 'Huế', 'HUE', 'city'),
    ('48', 'Đà Nẵng', 'DN', 'city'),
    ('51', 'Quảng Ngãi', 'QNG', 'province'),
    ('52', 'Gia Lai', 'GL', 'province'),
    ('56', 'Khánh Hòa', 'KH', 'province'),
    ('66', 'Đắk Lắk', 'DLK', 'province'),
    ('68', 'Lâm Đồng', 'LD', 'province'),
    ('75', 'Đồng Nai', 'DNA', 'province'),
    ('79', 'Hồ Chí Minh', 'HCM', 'city'),
    ('80', 'Tây Ninh', 'TNI', 'province'),
    ('82', 'Đồng Tháp', 'DT', 'province'),
    ('86', 'Vĩnh Long', 'VL', 'province'),
    ('91', 'An Giang', 'AG', 'province'),
    ('92', 'Cần Thơ', 'CT', 'city'),
    ('96', 'Cà Mau', 'CM', 'province');
INSERT INTO province_remaps (code, province, scheme, name) VALUES
    ('01', '01', 'gso', 'Hà Nội'),
    ('02', '08', 'gso', 'Hà Giang'),
    ('04', '04', 'gso', 'Cao Bằng'),
    ('06', '19', 'gso', 'Bắc Kạn'),
    ('08', '08', 'gso', 'Tuyên Quang'),
    ('10', '15', 'gso', 'Lào Cai'),
    ('11', '11', 'gso', 'Điện Biên'),
    ('12', '12', 'gso', 'Lai Châu'),
    ('14', '14', 'gso', 'Sơn La'),
    ('15', '15', 'gso', 'Yên Bái'),
    ('17', '25', 'gso', 'Hòa Bình'),
    ('19', '19', 'gso', 'Thái Nguyên'),
    ('20', '20', 'gso', 'Lạng Sơn'),
    ('22', '22', 'gso', 'Quảng Ninh'),
    ('24', '24', 'gso', 'Bắc Giang'),
    ('25', '25', 'gso', 'Phú Thọ'),
    ('26', '25', 'gso', 'Vĩnh Phúc'),
    ('27', '24', 'gso', 'Bắc Ninh'),
    ('30', '31', 'gso', 'Hải Dương'),
    ('31', '31', 'gso', 'Hải Phòng'),
    ('33', '33', 'gso', 'Hưng Yên'),
    ('34', '33', 'gso', 'Thái Bình'),
    ('35', '37', 'gso', 'Hà Nam'),
    ('36', '37', 'gso', 'Nam Định'),
    ('37', '37', 'gso', 'Ninh Bình'),
    ('38', '38', 'gso', 'Thanh Hóa'),
    ('40', '40', 'gso', 'Nghệ An'),
    ('42', '42', 'gso', 'Hà Tĩnh'),
    ('44', '44', 'gso', 'Quảng Bình'),
    ('45', '44', 'gso', 'Quảng Trị'),
    ('46', '46', 'gso', 'Thừa Thiên Huế'),
    ('48', '48', 'gso', 'Đà Nẵng'),
    ('49', '48', 'gso', 'Quảng Nam'),
    ('51', '51', 'gso', 'Quảng Ngãi'),
    ('52', '52', 'gso', 'Bình Định'),
    ('54', '66', 'gso', 'Phú Yên'),
    ('56', '56', 'gso', 'Khánh Hòa'),
    ('58', '56', 'gso', 'Ninh Thuận'),
    ('60', '68', 'gso', 'Bình Thuận'),
    ('62', '51', 'gso', 'Kon Tum'),
    ('64', '52', 'gso', 'Gia Lai'),
    ('66', '66', 'gso', 'Đắk Lắk'),
    ('67', '68', 'gso', 'Đắk Nông'),
    ('68', '68', 'gso', 'Lâm Đồng'),
    ('70', '75', 'gso', 'Bình Phước'),
    ('72', '80', 'gso', 'Tây Ninh'),
    ('74', '79', 'gso', 'Bình Dương'),
    ('75', '75', 'gso', 'Đồng Nai'),
    ('77', '79', 'gso', 'Bà Rịa - Vũng Tàu'),
    ('79', '79', 'gso', 'Hồ Chí Minh'),
    ('80', '80', 'gso', 'Long An'),
    ('82', '82', 'gso', 'Tiền Giang'),
    ('83', '86', 'gso', 'Bến Tre'),
    ('84', '86', 'gso', 'Trà Vinh'),
    ('86', '86', 'gso', 'Vĩnh Long'),
    ('87', '82', 'gso', 'Đồng Tháp'),
    ('89', '91', 'gso', 'An Giang'),
    ('91', '91', 'gso', 'Kiên Giang'),
    ('92', '92', 'gso', 'Cần Thơ'),
    ('93', '92', 'gso', 'Hậu Giang'),
    ('94', '92', 'gso', 'Sóc Trăng'),
    ('95', '96', 'gso', 'Bạc Liêu'),
    ('96', '96', 'gso', 'Cà Mau'),
    ('HN', '01', 'loa', 'Hà Nội'),
    ('HAG', '08', 'loa', 'Hà Giang'),
    ('CB', '04', 'loa', 'Cao Bằng'),
    ('BK', '19', 'loa', 'Bắc Kạn'),
    ('TQ', '08', 'loa', 'Tuyên Quang'),
    ('LCA', '15', 'loa', 'Lào Cai'),
    ('DB', '11', 'loa', 'Điện Biên'),
    ('LCH', '12', 'loa', 'Lai Châu'),
    ('SL', '14', 'loa', 'Sơn La'),
    ('YB', '15', 'loa', 'Yên Bái'),
    ('HB', '25', 'loa', 'Hòa Bình'),
    ('TNG', '19', 'loa', 'Thái Nguyên'),
    ('LS', '20', 'loa', 'Lạng Sơn'),
    ('QNI', '22', 'loa', 'Quảng Ninh'),
    ('BG', '24', 'loa', 'Bắc Giang'),
    ('PT', '25', 'loa', 'Phú Thọ'),
    ('VP', '25', 'loa', 'Vĩnh Phúc'),
    ('BN', '24', 'loa', 'Bắc Ninh'),
    ('HD', '31', 'loa', 'Hải Dương'),
    ('HP', '31', 'loa', 'Hải Phòng'),
    ('HY', '33', 'loa', 'Hưng Yên'),
    ('TB', '33', 'loa', 'Thái Bình'),
    ('HNA', '37', 'loa', 'Hà Nam'),
    ('ND', '37', 'loa', 'Nam Định'),
    ('NB', '37', 'loa', 'Ninh Bình'),
    ('TH', '38', 'loa', 'Thanh Hóa'),
    ('NA', '40', 'loa', 'Nghệ An'),
    ('HT', '42', 'loa', 'Hà Tĩnh'),
    ('QB', '44', 'loa', 'Quảng Bình'),
    ('QT', '44', 'loa', 'Quảng Trị'),
    ('HUE', '46', 'loa', 'Thừa Thiên Huế'),
    ('DN', '48', 'loa', 'Đà Nẵng'),
    ('QNA', '48', 'loa', 'Quảng Nam'),
    ('QNG', '51', 'loa', 'Quảng Ngãi'),
    ('BDI', '52', 'loa', 'Bình Định'),
    ('PY', '66', 'loa', 'Phú Yên'),
    ('KH', '56', 'loa', 'Khánh Hòa'),
    ('NT', '56', 'loa', 'Ninh Thuận'),
    ('BTH', '68', 'loa', 'Bình Thuận'),
    ('KT', '51', 'loa', 'Kon Tum'),
    ('GL', '52', 'loa', 'Gia Lai'),
    ('DLK', '66', 'loa', 'Đắk Lắk'),
    ('DNO', '68', 'loa', 'Đắk Nông'),
    ('LD', '68', 'loa', 'Lâm Đồng'),
    ('BP', '75', 'loa', 'Bình Phước'),
    ('TNI', '80', 'loa', 'Tây Ninh'),
    ('BDU', '79', 'loa', 'Bình Dương'),
    ('DNA', '75', 'loa', 'Đồng Nai'),
    ('BRV', '79', 'loa', 'Bà Rịa - Vũng Tàu'),
    ('HCM', '79', 'loa', 'Hồ Chí Minh'),
    ('LA', '80', 'loa', 'Long An'),
    ('TG', '82', 'loa', 'Tiền Giang'),
    ('BTR', '86', 'loa', 'Bến Tre'),
    ('TV', '86', 'loa', 'Trà Vinh'),
    ('VL', '86', 'loa', 'Vĩnh Long'),
    ('DT', '82', 'loa', 'Đồng Tháp'),
    ('AG', '91', 'loa', 'An Giang'),
    ('KG', '91', 'loa', 'Kiên Giang'),
    ('CT', '92', 'loa', 'Cần Thơ'),
    ('HG', '92', 'loa', 'Hậu Giang'),
    ('ST', '92', 'loa', 'Sóc Trăng'),
    ('BL', '96', 'loa', 'Bạc Liêu'),
    ('CM', '96', 'loa', 'Cà Mau'),
    ('VN-HN', '01', 'iso3166-2', 'Hà Nội'),
    ('VN-03', '08', 'iso3166-2', 'Hà Giang'),
    ('VN-04', '04', 'iso3166-2', 'Cao Bằng'),
    ('VN-53', '19', 'iso3166-2', 'Bắc Kạn'),
    ('VN-07', '08', 'iso3166-2', 'Tuyên Quang'),
    ('VN-02', '15', 'iso3166-2', 'Lào Cai'),
    ('VN-71', '11', 'iso3166-2', 'Điện Biên'),
    ('VN-01', '12', 'iso3166-2', 'Lai Châu'),
    ('VN-05', '14', 'iso3166-2', 'Sơn La'),
    ('VN-06', '15', 'iso3166-2', 'Yên Bái'),
    ('VN-14', '25', 'iso3166-2', 'Hòa Bình'),
    ('VN-69', '19', 'iso3166-2', 'Thái Nguyên'),
    ('VN-09', '20', 'iso3166-2', 'Lạng Sơn'),
    ('VN-13', '22', 'iso3166-2', 'Quảng Ninh'),
    ('VN-54', '24', 'iso3166-2', 'Bắc Giang'),
    ('VN-68', '25', 'iso3166-2', 'Phú Thọ'),
    ('VN-70', '25', 'iso3166-2', 'Vĩnh Phúc'),
    ('VN-56', '24', 'iso3166-2', 'Bắc Ninh'),
    ('VN-61', '31', 'iso3166-2', 'Hải Dương'),
    ('VN-HP', '31', 'iso3166-2', 'Hải Phòng'),
    ('VN-66', '33', 'iso3166-2', 'Hưng Yên'),
    ('VN-20', '33', 'iso3166-2', 'Thái Bình'),
    ('VN-63', '37', 'iso3166-2', 'Hà Nam'),
    ('VN-67', '37', 'iso3166-2', 'Nam Định'),
    ('VN-18', '37', 'iso3166-2', 'Ninh Bình'),
    ('VN-21', '38', 'iso3166-2', 'Thanh Hóa'),
    ('VN-22', '40', 'iso3166-2', 'Nghệ An'),
    ('VN-23', '42', 'iso3166-2', 'Hà Tĩnh'),
    ('VN-24', '44', 'iso3166-2', 'Quảng Bình'),
    ('VN-25', '44', 'iso3166-2', 'Quảng Trị'),
    ('VN-26', '46', 'iso3166-2', 'Thừa Thiên Huế'),
    ('VN-DN', '48', 'iso3166-2', 'Đà Nẵng'),
    ('VN-27', '48', 'iso3166-2', 'Quảng Nam'),
    ('VN-29', '51', 'iso3166-2', 'Quảng Ngãi'),
    ('VN-31', '52', 'iso3166-2', 'Bình Định'),
    ('VN-32', '66', 'iso3166-2', 'Phú Yên'),
    ('VN-34', '56', 'iso3166-2', 'Khánh Hòa'),
    ('VN-36', '56', 'iso3166-2', 'Ninh Thuận'),
    ('VN-40', '68', 'iso3166-2', 'Bình Thuận'),
    ('VN-28', '51', 'iso3166-2', 'Kon Tum'),
    ('VN-30', '52', 'iso3166-2', 'Gia Lai'),
    ('VN-33', '66', 'iso3166-2', 'Đắk Lắk'),
    ('VN-72', '68', 'iso3166-2', 'Đắk Nông'),
    ('VN-35', '68', 'iso3166-2', 'Lâm Đồng'),
    ('VN-58', '75', 'iso3166-2', 'Bình Phước'),
    ('VN-37', '80', 'iso3166-2', 'Tây Ninh'),
    ('VN-57', '79', 'iso3166-2', 'Bình Dương'),
    ('VN-39', '75', 'iso3166-2', 'Đồng Nai'),
    ('VN-43', '79', 'iso3166-2', 'Bà Rịa - Vũng Tàu'),
    ('VN-SG', '79', 'iso3166-2', 'Hồ Chí Minh'),
    ('VN-41', '80', 'iso3166-2', 'Long An'),
    ('VN-46', '82', 'iso3166-2', 'Tiền Giang'),
    ('VN-50', '86', 'iso3166-2', 'Bến Tre'),
    ('VN-51', '86', 'iso3166-2', 'Trà Vinh'),
    ('VN-49', '86', 'iso3166-2', 'Vĩnh Long'),
    ('VN-45', '82', 'iso3166-2', 'Đồng Tháp'),
    ('VN-44', '91', 'iso3166-2', 'An Giang'),
    ('VN-47', '91', 'iso3166-2', 'Kiên Giang'),
    ('VN-CT', '92', 'iso3166-2', 'Cần Thơ'),
    ('VN-73', '92', 'iso3166-2', 'Hậu Giang'),
    ('VN-52', '92', 'iso3166-2', 'Sóc Trăng'),
    ('VN-55', '96', 'iso3166-2', 'Bạc Liêu'),
    ('VN-59', '96', 'iso3166-2', 'Cà Mau');

-- Existing rows move to the canonical code of their unit: a tenant is one unit, whatever it was
-- called, and the planner compares a member's province with its campaign's tenant and audience as
-- stored. Absorbed provinces (HG, ST) join their unit (CT becomes 92 beside them): a Hậu Giang key
-- now works for Cần Thơ. What happened stays as it was: deliveries, progress counters and the audit
-- chain keep the province of their time (reports map it to today's unit when asked: groupBy=unit).
-- Tenants and provinces were 2-3 capital letters until now, so only old abbreviations can match.
CREATE TABLE province_moves_0018 (
    old         TEXT    NOT NULL PRIMARY KEY,
    new         TEXT    NOT NULL,
    absorbed    INTEGER NOT NULL                  -- 1: another province's code; 0: the unit's own alias
);
INSERT INTO province_moves_0018 (old, new, absorbed)
SELECT alias, code, 0 FROM provinces
UNION ALL
SELECT r.code, r.province, 1 FROM province_remaps r
WHERE r.code <> r.province AND r.code NOT IN (SELECT alias FROM provinces);

-- Key names are unique among a tenant's active keys (0012). A key of an absorbed province whose name
-- its new unit already uses (or another absorbed one brings along) gets its old tenant appended.
UPDATE api_keys SET name = substr(name, 1, 93) || ' (' || tenant || ')'
WHERE revoked_at IS NULL
  AND tenant IN (SELECT old FROM province_moves_0018 WHERE absorbed = 1)
  AND EXISTS (
      SELECT 1 FROM api_keys o
      WHERE o.revoked_at IS NULL AND o.id <> api_keys.id AND lower(o.name) = lower(api_keys.name)
        AND COALESCE((SELECT new FROM province_moves_0018 WHERE old = o.tenant), o.tenant)
            = (SELECT new FROM province_moves_0018 WHERE old = api_keys.tenant));
UPDATE api_keys SET tenant = (SELECT new FROM province_moves_0018 WHERE old = api_keys.tenant)
WHERE tenant IN (SELECT old FROM province_moves_0018);

UPDATE lists SET tenant = (SELECT new FROM province_moves_0018 WHERE old = lists.tenant)
WHERE tenant IN (SELECT old FROM province_moves_0018);

-- One pass over every member: on a very large database this is the long part of the upgrade.
UPDATE list_members SET province = (SELECT new FROM province_moves_0018 WHERE old = list_members.province)
WHERE province IN (SELECT old FROM province_moves_0018);

-- The counters kept at upload follow their members; two old provinces of one unit add up.
INSERT INTO list_counts (list_id, carrier, province, recipients)
SELECT c.list_id, c.carrier, m.new, SUM(c.recipients)
FROM list_counts c JOIN province_moves_0018 m ON m.old = c.province
WHERE true
GROUP BY c.list_id, c.carrier, m.new
ON CONFLICT (list_id, carrier, province) DO UPDATE SET recipients = recipients + excluded.recipients;
DELETE FROM list_counts WHERE province IN (SELECT old FROM province_moves_0018);

UPDATE campaigns SET tenant = (SELECT new FROM province_moves_0018 WHERE old = campaigns.tenant)
WHERE tenant IN (SELECT old FROM province_moves_0018);

-- The audience's provinces in the stored definition (what the planner filters by); written any case
-- until now, compared ignoring it.
UPDATE campaigns SET definition = json_set(definition, '$.audience.provinces', json((
    SELECT json_group_array(p) FROM (
        SELECT DISTINCT COALESCE(m.new, j.value) AS p
        FROM json_each(campaigns.definition, '$.audience.provinces') j
        LEFT JOIN province_moves_0018 m ON m.old = upper(trim(j.value))
        WHERE j.type = 'text'))))
WHERE json_valid(definition) AND json_type(definition, '$.audience.provinces') = 'array'
  AND EXISTS (
      SELECT 1 FROM json_each(campaigns.definition, '$.audience.provinces') j
      JOIN province_moves_0018 m ON m.old = upper(trim(j.value))
      WHERE j.type = 'text');

-- A CAP alert's key holds its tenant (0013): in the unlikely case that two old provinces of one unit
-- received the same alert, the second keeps its old tenant rather than fail the upgrade.
UPDATE OR IGNORE cap_alerts SET tenant = (SELECT new FROM province_moves_0018 WHERE old = cap_alerts.tenant)
WHERE tenant IN (SELECT old FROM province_moves_0018);

UPDATE optouts SET tenant = (SELECT new FROM province_moves_0018 WHERE old = optouts.tenant)
WHERE tenant IN (SELECT old FROM province_moves_0018);

UPDATE devices SET tenant = (SELECT new FROM province_moves_0018 WHERE old = devices.tenant)
WHERE tenant IN (SELECT old FROM province_moves_0018);
UPDATE devices SET province = (SELECT new FROM province_moves_0018 WHERE old = devices.province)
WHERE province IN (SELECT old FROM province_moves_0018);

DROP TABLE province_moves_0018;
