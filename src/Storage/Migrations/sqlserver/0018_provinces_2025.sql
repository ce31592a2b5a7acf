-- Provinces as they are from 1 July 2025 (SQL Server). Same reason and meaning as
-- sqlite/0018_provinces_2025.sql.
CREATE TABLE provinces (
    code        VARCHAR(2)     NOT NULL PRIMARY KEY,
    name        NVARCHAR(100)  NOT NULL,
    alias       VARCHAR(3)     NOT NULL UNIQUE,
    kind        VARCHAR(16)    NOT NULL
);
CREATE TABLE province_remaps (
    code        NVARCHAR(16)   NOT NULL PRIMARY KEY,
    province    VARCHAR(2)     NOT NULL,
    scheme      VARCHAR(16)    NOT NULL,
    name        NVARCHAR(100)  NOT NULL
);
GO
INSERT INTO provinces (code, name, alias, kind) VALUES
    ('01', N'Hà Nội', 'HN', 'city'),
    ('04', N'Cao Bằng', 'CB', 'province'),
    ('08', N'Tuyên Quang', 'TQ', 'province'),
    ('11', N'Điện Biên', 'DB', 'province'),
    ('12', N'Lai Châu', 'LCH', 'province'),
    ('14', N'Sơn La', 'SL', 'province'),
    ('15', N'Lào Cai', 'LCA', 'province'),
    ('19', N'Thái Nguyên', 'TNG', 'province'),
    ('20', N'Lạng Sơn', 'LS', 'province'),
    ('22', N'Quảng Ninh', 'QNI', 'province'),
    ('24', N'Bắc Ninh', 'BN', 'province'),
    ('25', N'Phú Thọ', 'PT', 'province'),
    ('31', N'Hải Phòng', 'HP', 'city'),
    ('33', N'Hưng Yên', 'HY', 'province'),
    ('37', N'Ninh Bình', 'NB', 'province'),
    ('38', N'Thanh Hóa', 'TH', 'province'),
    ('40', N'Nghệ An', 'NA', 'province'),
    ('42', N'Hà Tĩnh', 'HT', 'province'),
    ('44', N'Quảng Trị', 'QT', 'province'),
    ('46', N'Huế', 'HUE', 'city'),
    ('48', N'Đà Nẵng', 'DN', 'city'),
    ('51', N'Quảng Ngãi', 'QNG', 'province'),
    ('52', N'Gia Lai', 'GL', 'province'),
    ('56', N'Khánh Hòa', 'KH', 'province'),
    ('66', N'Đắk Lắk', 'DLK', 'province'),
    ('68', N'Lâm Đồng', 'LD', 'province'),
    ('75', N'Đồng Nai', 'DNA', 'province'),
    ('79', N'Hồ Chí Minh', 'HCM', 'city'),
    ('80', N'Tây Ninh', 'TNI', 'province'),
    ('82', N'Đồng Tháp', 'DT', 'province'),
    ('86', N'Vĩnh Long', 'VL', 'province'),
    ('91', N'An Giang', 'AG', 'province'),
    ('92', N'Cần Thơ', 'CT', 'city'),
    ('96', N'Cà Mau', 'CM', 'province');
INSERT INTO province_remaps (code, province, scheme, name) VALUES
    ('01', '01', 'gso', N'Hà Nội'),
    ('02', '08', 'gso', N'Hà Giang'),
    ('04', '04', 'gso', N'Cao Bằng'),
    ('06', '19', 'gso', N'Bắc Kạn'),
    ('08', '08', 'gso', N'Tuyên Quang'),
    ('10', '15', 'gso', N'Lào Cai'),
    ('11', '11', 'gso', N'Điện Biên'),
    ('12', '12', 'gso', N'Lai Châu'),
    ('14', '14', 'gso', N'Sơn La'),
    ('15', '15', 'gso', N'Yên Bái'),
    ('17', '25', 'gso', N'Hòa Bình'),
    ('19', '19', 'gso', N'Thái Nguyên'),
    ('20', '20', 'gso', N'Lạng Sơn'),
    ('22', '22', 'gso', N'Quảng Ninh'),
    ('24', '24', 'gso', N'Bắc Giang'),
    ('25', '25', 'gso', N'Phú Thọ'),
    ('26', '25', 'gso', N'Vĩnh Phúc'),
    ('27', '24', 'gso', N'Bắc Ninh'),
    ('30', '31', 'gso', N'Hải Dương'),
    ('31', '31', 'gso', N'Hải Phòng'),
    ('33', '33', 'gso', N'Hưng Yên'),
    ('34', '33', 'gso', N'Thái Bình'),
    ('35', '37', 'gso', N'Hà Nam'),
    ('36', '37', 'gso', N'Nam Định'),
    ('37', '37', 'gso', N'Ninh Bình'),
    ('38', '38', 'gso', N'Thanh Hóa'),
    ('40', '40', 'gso', N'Nghệ An'),
    ('42', '42', 'gso', N'Hà Tĩnh'),
    ('44', '44', 'gso', N'Quảng Bình'),
    ('45', '44', 'gso', N'Quảng Trị'),
    ('46', '46', 'gso', N'Thừa Thiên Huế'),
    ('48', '48', 'gso', N'Đà Nẵng'),
    ('49', '48', 'gso', N'Quảng Nam'),
    ('51', '51', 'gso', N'Quảng Ngãi'),
    ('52', '52', 'gso', N'Bình Định'),
    ('54', '66', 'gso', N'Phú Yên'),
    ('56', '56', 'gso', N'Khánh Hòa'),
    ('58', '56', 'gso', N'Ninh Thuận'),
    ('60', '68', 'gso', N'Bình Thuận'),
    ('62', '51', 'gso', N'Kon Tum'),
    ('64', '52', 'gso', N'Gia Lai'),
    ('66', '66', 'gso', N'Đắk Lắk'),
    ('67', '68', 'gso', N'Đắk Nông'),
    ('68', '68', 'gso', N'Lâm Đồng'),
    ('70', '75', 'gso', N'Bình Phước'),
    ('72', '80', 'gso', N'Tây Ninh'),
    ('74', '79', 'gso', N'Bình Dương'),
    ('75', '75', 'gso', N'Đồng Nai'),
    ('77', '79', 'gso', N'Bà Rịa - Vũng Tàu'),
    ('79', '79', 'gso', N'Hồ Chí Minh'),
    ('80', '80', 'gso', N'Long An'),
    ('82', '82', 'gso', N'Tiền Giang'),
    ('83', '86', 'gso', N'Bến Tre'),
    ('84', '86', 'gso', N'Trà Vinh'),
    ('86', '86', 'gso', N'Vĩnh Long'),
    ('87', '82', 'gso', N'Đồng Tháp'),
    ('89', '91', 'gso', N'An Giang'),
    ('91', '91', 'gso', N'Kiên Giang'),
    ('92', '92', 'gso', N'Cần Thơ'),
    ('93', '92', 'gso', N'Hậu Giang'),
    ('94', '92', 'gso', N'Sóc Trăng'),
    ('95', '96', 'gso', N'Bạc Liêu'),
    ('96', '96', 'gso', N'Cà Mau'),
    ('HN', '01', 'loa', N'Hà Nội'),
    ('HAG', '08', 'loa', N'Hà Giang'),
    ('CB', '04', 'loa', N'Cao Bằng'),
    ('BK', '19', 'loa', N'Bắc Kạn'),
    ('TQ', '08', 'loa', N'Tuyên Quang'),
    ('LCA', '15', 'loa', N'Lào Cai'),
    ('DB', '11', 'loa', N'Điện Biên'),
    ('LCH', '12', 'loa', N'Lai Châu'),
    ('SL', '14', 'loa', N'Sơn La'),
    ('YB', '15', 'loa', N'Yên Bái'),
    ('HB', '25', 'loa', N'Hòa Bình'),
    ('TNG', '19', 'loa', N'Thái Nguyên'),
    ('LS', '20', 'loa', N'Lạng Sơn'),
    ('QNI', '22', 'loa', N'Quảng Ninh'),
    ('BG', '24', 'loa', N'Bắc Giang'),
    ('PT', '25', 'loa', N'Phú Thọ'),
    ('VP', '25', 'loa', N'Vĩnh Phúc'),
    ('BN', '24', 'loa', N'Bắc Ninh'),
    ('HD', '31', 'loa', N'Hải Dương'),
    ('HP', '31', 'loa', N'Hải Phòng'),
    ('HY', '33', 'loa', N'Hưng Yên'),
    ('TB', '33', 'loa', N'Thái Bình'),
    ('HNA', '37', 'loa', N'Hà Nam'),
    ('ND', '37', 'loa', N'Nam Định'),
    ('NB', '37', 'loa', N'Ninh Bình'),
    ('TH', '38', 'loa', N'Thanh Hóa'),
    ('NA', '40', 'loa', N'Nghệ An'),
    ('HT', '42', 'loa', N'Hà Tĩnh'),
    ('QB', '44', 'loa', N'Quảng Bình'),
    ('QT', '44', 'loa', N'Quảng Trị'),
    ('HUE', '46', 'loa', N'Thừa Thiên Huế'),
    ('DN', '48', 'loa', N'Đà Nẵng'),
    ('QNA', '48', 'loa', N'Quảng Nam'),
    ('QNG', '51', 'loa', N'Quảng Ngãi'),
    ('BDI', '52', 'loa', N'Bình Định'),
    ('PY', '66', 'loa', N'Phú Yên'),
    ('KH', '56', 'loa', N'Khánh Hòa'),
    ('NT', '56', 'loa', N'Ninh Thuận'),
    ('BTH', '68', 'loa', N'Bình Thuận'),
    ('KT', '51', 'loa', N'Kon Tum'),
    ('GL', '52', 'loa', N'Gia Lai'),
    ('DLK', '66', 'loa', N'Đắk Lắk'),
    ('DNO', '68', 'loa', N'Đắk Nông'),
    ('LD', '68', 'loa', N'Lâm Đồng'),
    ('BP', '75', 'loa', N'Bình Phước'),
    ('TNI', '80', 'loa', N'Tây Ninh'),
    ('BDU', '79', 'loa', N'Bình Dương'),
    ('DNA', '75', 'loa', N'Đồng Nai'),
    ('BRV', '79', 'loa', N'Bà Rịa - Vũng Tàu'),
    ('HCM', '79', 'loa', N'Hồ Chí Minh'),
    ('LA', '80', 'loa', N'Long An'),
    ('TG', '82', 'loa', N'Tiền Giang'),
    ('BTR', '86', 'loa', N'Bến Tre'),
    ('TV', '86', 'loa', N'Trà Vinh'),
    ('VL', '86', 'loa', N'Vĩnh Long'),
    ('DT', '82', 'loa', N'Đồng Tháp'),
    ('AG', '91', 'loa', N'An Giang'),
    ('KG', '91', 'loa', N'Kiên Giang'),
    ('CT', '92', 'loa', N'Cần Thơ'),
    ('HG', '92', 'loa', N'Hậu Giang'),
    ('ST', '92', 'loa', N'Sóc Trăng'),
    ('BL', '96', 'loa', N'Bạc Liêu'),
    ('CM', '96', 'loa', N'Cà Mau'),
    ('VN-HN', '01', 'iso3166-2', N'Hà Nội'),
    ('VN-03', '08', 'iso3166-2', N'Hà Giang'),
    ('VN-04', '04', 'iso3166-2', N'Cao Bằng'),
    ('VN-53', '19', 'iso3166-2', N'Bắc Kạn'),
    ('VN-07', '08', 'iso3166-2', N'Tuyên Quang'),
    ('VN-02', '15', 'iso3166-2', N'Lào Cai'),
    ('VN-71', '11', 'iso3166-2', N'Điện Biên'),
    ('VN-01', '12', 'iso3166-2', N'Lai Châu'),
    ('VN-05', '14', 'iso3166-2', N'Sơn La'),
    ('VN-06', '15', 'iso3166-2', N'Yên Bái'),
    ('VN-14', '25', 'iso3166-2', N'Hòa Bình'),
    ('VN-69', '19', 'iso3166-2', N'Thái Nguyên'),
    ('VN-09', '20', 'iso3166-2', N'Lạng Sơn'),
    ('VN-13', '22', 'iso3166-2', N'Quảng Ninh'),
    ('VN-54', '24', 'iso3166-2', N'Bắc Giang'),
    ('VN-68', '25', 'iso3166-2', N'Phú Thọ'),
    ('VN-70', '25', 'iso3166-2', N'Vĩnh Phúc'),
    ('VN-56', '24', 'iso3166-2', N'Bắc Ninh'),
    ('VN-61', '31', 'iso3166-2', N'Hải Dương'),
    ('VN-HP', '31', 'iso3166-2', N'Hải Phòng'),
    ('VN-66', '33', 'iso3166-2', N'Hưng Yên'),
    ('VN-20', '33', 'iso3166-2', N'Thái Bình'),
    ('VN-63', '37', 'iso3166-2', N'Hà Nam'),
    ('VN-67', '37', 'iso3166-2', N'Nam Định'),
    ('VN-18', '37', 'iso3166-2', N'Ninh Bình'),
    ('VN-21', '38', 'iso3166-2', N'Thanh Hóa'),
    ('VN-22', '40', 'iso3166-2', N'Nghệ An'),
    ('VN-23', '42', 'iso3166-2', N'Hà Tĩnh'),
    ('VN-24', '44', 'iso3166-2', N'Quảng Bình'),
    ('VN-25', '44', 'iso3166-2', N'Quảng Trị'),
    ('VN-26', '46', 'iso3166-2', N'Thừa Thiên Huế'),
    ('VN-DN', '48', 'iso3166-2', N'Đà Nẵng'),
    ('VN-27', '48', 'iso3166-2', N'Quảng Nam'),
    ('VN-29', '51', 'iso3166-2', N'Quảng Ngãi'),
    ('VN-31', '52', 'iso3166-2', N'Bình Định'),
    ('VN-32', '66', 'iso3166-2', N'Phú Yên'),
    ('VN-34', '56', 'iso3166-2', N'Khánh Hòa'),
    ('VN-36', '56', 'iso3166-2', N'Ninh Thuận'),
    ('VN-40', '68', 'iso3166-2', N'Bình Thuận'),
    ('VN-28', '51', 'iso3166-2', N'Kon Tum'),
    ('VN-30', '52', 'iso3166-2', N'Gia Lai'),
    ('VN-33', '66', 'iso3166-2', N'Đắk Lắk'),
    ('VN-72', '68', 'iso3166-2', N'Đắk Nông'),
    ('VN-35', '68', 'iso3166-2', N'Lâm Đồng'),
    ('VN-58', '75', 'iso3166-2', N'Bình Phước'),
    ('VN-37', '80', 'iso3166-2', N'Tây Ninh'),
    ('VN-57', '79', 'iso3166-2', N'Bình Dương'),
    ('VN-39', '75', 'iso3166-2', N'Đồng Nai'),
    ('VN-43', '79', 'iso3166-2', N'Bà Rịa - Vũng Tàu'),
    ('VN-SG', '79', 'iso3166-2', N'Hồ Chí Minh'),
    ('VN-41', '80', 'iso3166-2', N'Long An'),
    ('VN-46', '82', 'iso3166-2', N'Tiền Giang'),
    ('VN-50', '86', 'iso3166-2', N'Bến Tre'),
    ('VN-51', '86', 'iso3166-2', N'Trà Vinh'),
    ('VN-49', '86', 'iso3166-2', N'Vĩnh Long'),
    ('VN-45', '82', 'iso3166-2', N'Đồng Tháp'),
    ('VN-44', '91', 'iso3166-2', N'An Giang'),
    ('VN-47', '91', 'iso3166-2', N'Kiên Giang'),
    ('VN-CT', '92', 'iso3166-2', N'Cần Thơ'),
    ('VN-73', '92', 'iso3166-2', N'Hậu Giang'),
    ('VN-52', '92', 'iso3166-2', N'Sóc Trăng'),
    ('VN-55', '96', 'iso3166-2', N'Bạc Liêu'),
    ('VN-59', '96', 'iso3166-2', N'Cà Mau');
GO
CREATE TABLE province_moves_0018 (
    old         NVARCHAR(16)   NOT NULL PRIMARY KEY,
    new         VARCHAR(2)     NOT NULL,
    absorbed    BIT            NOT NULL
);
GO
INSERT INTO province_moves_0018 (old, new, absorbed)
SELECT alias, code, 0 FROM provinces
UNION ALL
SELECT r.code, r.province, 1 FROM province_remaps r
WHERE r.code <> r.province AND r.code NOT IN (SELECT alias FROM provinces);

UPDATE k SET name = LEFT(k.name, 93) + N' (' + k.tenant + N')'
FROM api_keys k JOIN province_moves_0018 m ON m.old = k.tenant AND m.absorbed = 1
WHERE k.revoked_at IS NULL
  AND EXISTS (
      SELECT 1 FROM api_keys o LEFT JOIN province_moves_0018 om ON om.old = o.tenant
      WHERE o.revoked_at IS NULL AND o.id <> k.id AND o.name = k.name
        AND COALESCE(om.new, o.tenant) = m.new);
UPDATE k SET tenant = m.new FROM api_keys k JOIN province_moves_0018 m ON m.old = k.tenant;

UPDATE l SET tenant = m.new FROM lists l JOIN province_moves_0018 m ON m.old = l.tenant;

UPDATE lm SET province = m.new FROM list_members lm JOIN province_moves_0018 m ON m.old = lm.province;

MERGE list_counts AS t
USING (
    SELECT c.list_id, c.carrier, m.new AS province, SUM(c.recipients) AS recipients
    FROM list_counts c JOIN province_moves_0018 m ON m.old = c.province
    GROUP BY c.list_id, c.carrier, m.new) AS s
ON t.list_id = s.list_id AND t.carrier = s.carrier AND t.province = s.province
WHEN MATCHED THEN UPDATE SET recipients = t.recipients + s.recipients
WHEN NOT MATCHED THEN INSERT (list_id, carrier, province, recipients) VALUES (s.list_id, s.carrier, s.province, s.recipients);
DELETE c FROM list_counts c JOIN province_moves_0018 m ON m.old = c.province;

UPDATE c SET tenant = m.new FROM campaigns c JOIN province_moves_0018 m ON m.old = c.tenant;

UPDATE c SET definition = JSON_MODIFY(c.definition, '$.audience.provinces', JSON_QUERY((
    SELECT N'[' + STRING_AGG(N'"' + STRING_ESCAPE(x.p, 'json') + N'"', N',') + N']'
    FROM (
        SELECT DISTINCT COALESCE(m.new, j.value) AS p
        FROM OPENJSON(c.definition, '$.audience.provinces') j
        LEFT JOIN province_moves_0018 m ON m.old = UPPER(LTRIM(RTRIM(j.value)))
        WHERE j.type = 1) x)))
FROM campaigns c
WHERE ISJSON(c.definition) = 1
  AND EXISTS (
      SELECT 1 FROM OPENJSON(c.definition, '$.audience.provinces') j
      JOIN province_moves_0018 m ON m.old = UPPER(LTRIM(RTRIM(j.value)))
      WHERE j.type = 1);

-- One row per target key: a second alert of the same sender, identifier and sent keeps its old tenant.
WITH moving AS (
    SELECT a.tenant, m.new,
           ROW_NUMBER() OVER (PARTITION BY m.new, a.sender, a.identifier, a.sent ORDER BY m.absorbed, a.tenant) AS n
    FROM cap_alerts a JOIN province_moves_0018 m ON m.old = a.tenant
    WHERE NOT EXISTS (
        SELECT 1 FROM cap_alerts o
        WHERE o.tenant = m.new AND o.sender = a.sender AND o.identifier = a.identifier AND o.sent = a.sent))
UPDATE moving SET tenant = new WHERE n = 1;

UPDATE o SET tenant = m.new FROM optouts o JOIN province_moves_0018 m ON m.old = o.tenant;

UPDATE d SET tenant = m.new FROM devices d JOIN province_moves_0018 m ON m.old = d.tenant;
UPDATE d SET province = m.new FROM devices d JOIN province_moves_0018 m ON m.old = d.province;
GO
DROP TABLE province_moves_0018;
