using System.Text.RegularExpressions;
using Dapper;
using Loa.Tests.Shared;

namespace Loa.Storage.Tests;

/// <summary>
/// The two dialects' migrations must build the same schema: the same tables, columns, primary keys, unique
/// constraints and named indexes. SQLite's is read from a migrated file; SQL Server's is what its scripts
/// declare, replayed here statement by statement (CREATE/ALTER/DROP TABLE, CREATE/DROP INDEX, sp_rename),
/// so a column added to one dialect only is caught on every run, with no SQL Server at hand. Types are not
/// compared: the dialects spell them differently on purpose (TEXT / NVARCHAR, INTEGER / BIGINT).
/// </summary>
public sealed partial class SchemaParityTests
{
    /// <summary>Differences that are meant, each with its reason; anything else fails.</summary>
    private static readonly Dictionary<string, string> Intended = new(StringComparer.Ordinal)
    {
        ["table schema_version: SQLite only"] =
            "the Migrator creates its version table itself, in both dialects, before any script runs",
        ["index deliveries.cx_deliveries: SQLite none, SQL Server unique (campaign_id, id)"] =
            "SQL Server clusters deliveries by campaign; SQLite walks the rowid between the campaign's bounds (0009_delivery_bounds)",
        ["primary key devices: SQLite (id), SQL Server (token_hash)"] =
            "SQL Server keys devices by token hash, nonclustered, and clusters on id (0017_devices): random hashes as the clustered key would split pages",
        ["index devices.ux_devices_id: SQLite none, SQL Server unique (id)"] = "the same choice: SQLite's id is its rowid key",
        ["index devices.ux_devices_token_hash: SQLite unique (token_hash), SQL Server none"] = "the same choice: SQL Server's token hash is its primary key",
    };

    [Fact]
    public async Task The_sql_server_scripts_declare_the_tables_columns_keys_and_indexes_sqlite_builds()
    {
        await using var temp = await TempDatabase.CreateAsync();
        var sqlite = await SqliteSchemaAsync(temp.Database);
        var sqlServer = SqlServerSchema(Migrator.Scripts(DatabaseProvider.SqlServer));

        var differences = Compare(sqlite, sqlServer).Where(d => !Intended.ContainsKey(d)).ToList();
        Assert.True(differences.Count == 0, "The dialects' schemas differ:\n" + string.Join('\n', differences));
        // The model must have read something: a parser that matched nothing would compare two empty schemas.
        Assert.True(sqlServer.Count > 40, $"only {sqlServer.Count} tables read from the SQL Server scripts");
        Assert.Contains("coverage_counts", sqlServer.Keys);
        Assert.Equal(["bucket", "first_month", "province", "carrier", "tags"], sqlServer["coverage_counts"].PrimaryKey);
    }

    [Fact]
    public void The_sql_server_model_reads_renames_drops_and_keys_added_later()
    {
        var schema = SqlServerSchema([
            new Migrator.Script(1, "a", """
                CREATE TABLE t (
                    id BIGINT IDENTITY(1,1) NOT NULL,
                    amount DECIMAL(10, 2) NOT NULL CONSTRAINT df_amount DEFAULT (0),
                    name NVARCHAR(40) NULL,
                    CONSTRAINT pk_t PRIMARY KEY CLUSTERED (id)
                );
                GO
                CREATE UNIQUE INDEX ux_t_name ON t (name) WHERE name IS NOT NULL;
                GO
                -- a comment that says CREATE TABLE nothing (x int)
                CREATE TABLE gone (x INT NOT NULL PRIMARY KEY);
                GO
                """),
            new Migrator.Script(2, "b", """
                EXEC sp_rename 't.name', 'label', 'COLUMN';
                GO
                ALTER TABLE t ADD extra VARCHAR(300) NOT NULL CONSTRAINT df_extra DEFAULT '', more INT NULL;
                GO
                ALTER TABLE t DROP CONSTRAINT pk_t;
                GO
                ALTER TABLE t ADD CONSTRAINT pk_t PRIMARY KEY (id, extra);
                GO
                DROP INDEX ux_t_name ON t;
                GO
                DROP TABLE gone;
                GO
                IF OBJECT_ID(N'u', N'U') IS NULL
                BEGIN
                  CREATE TABLE u (a INT NOT NULL, b INT NOT NULL, CONSTRAINT uq_u UNIQUE (a, b));
                END;
                GO
                """),
        ]);

        Assert.Equal(["t", "u"], schema.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["amount", "extra", "id", "label", "more"], schema["t"].Columns.Order(StringComparer.Ordinal));
        Assert.Equal(["id", "extra"], schema["t"].PrimaryKey);
        Assert.Empty(schema["t"].Indexes);
        Assert.Equal(["a,b"], schema["u"].Uniques);
    }

    private sealed class Table
    {
        public HashSet<string> Columns { get; } = new(StringComparer.Ordinal);
        public List<string> PrimaryKey { get; set; } = [];
        public string? PrimaryKeyName { get; set; }
        public HashSet<string> Uniques { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> Indexes { get; } = new(StringComparer.Ordinal);
    }

    private static IEnumerable<string> Compare(Dictionary<string, Table> sqlite, Dictionary<string, Table> sqlServer)
    {
        foreach (var name in sqlite.Keys.Except(sqlServer.Keys).Order(StringComparer.Ordinal))
            yield return $"table {name}: SQLite only";
        foreach (var name in sqlServer.Keys.Except(sqlite.Keys).Order(StringComparer.Ordinal))
            yield return $"table {name}: SQL Server only";
        foreach (var name in sqlite.Keys.Intersect(sqlServer.Keys).Order(StringComparer.Ordinal))
        {
            var (a, b) = (sqlite[name], sqlServer[name]);
            foreach (var column in a.Columns.Except(b.Columns).Order(StringComparer.Ordinal))
                yield return $"column {name}.{column}: SQLite only";
            foreach (var column in b.Columns.Except(a.Columns).Order(StringComparer.Ordinal))
                yield return $"column {name}.{column}: SQL Server only";
            if (!a.PrimaryKey.SequenceEqual(b.PrimaryKey))
                yield return $"primary key {name}: SQLite ({string.Join(", ", a.PrimaryKey)}), SQL Server ({string.Join(", ", b.PrimaryKey)})";
            foreach (var unique in a.Uniques.Except(b.Uniques).Order(StringComparer.Ordinal))
                yield return $"unique {name}({unique}): SQLite only";
            foreach (var unique in b.Uniques.Except(a.Uniques).Order(StringComparer.Ordinal))
                yield return $"unique {name}({unique}): SQL Server only";
            foreach (var index in a.Indexes.Keys.Union(b.Indexes.Keys).Order(StringComparer.Ordinal))
            {
                var (x, y) = (a.Indexes.GetValueOrDefault(index), b.Indexes.GetValueOrDefault(index));
                if (x != y)
                    yield return $"index {name}.{index}: SQLite {x ?? "none"}, SQL Server {y ?? "none"}";
            }
        }
    }

    private static string Index(bool unique, IEnumerable<string> columns) => (unique ? "unique " : "") + "(" + string.Join(", ", columns) + ")";

    private static async Task<Dictionary<string, Table>> SqliteSchemaAsync(Database database)
    {
        await using var connection = await database.OpenAsync();
        var tables = new Dictionary<string, Table>(StringComparer.Ordinal);
        foreach (var name in await connection.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        {
            var table = tables[name.ToLowerInvariant()] = new Table();
            var columns = (await connection.QueryAsync<(string Name, long Pk)>("SELECT name, pk FROM pragma_table_info(@name)", new { name })).ToList();
            foreach (var column in columns)
                table.Columns.Add(column.Name.ToLowerInvariant());
            table.PrimaryKey = [.. columns.Where(c => c.Pk > 0).OrderBy(c => c.Pk).Select(c => c.Name.ToLowerInvariant())];
            foreach (var (index, unique, origin) in await connection.QueryAsync<(string Name, long Unique, string Origin)>(
                "SELECT name, \"unique\", origin FROM pragma_index_list(@name)", new { name }))
            {
                if (origin == "pk")
                    continue;
                var keys = (await connection.QueryAsync<string>("SELECT name FROM pragma_index_info(@index) ORDER BY seqno", new { index }))
                    .Select(c => c.ToLowerInvariant()).ToList();
                if (origin == "u")
                    table.Uniques.Add(string.Join(',', keys));
                else
                    table.Indexes[index.ToLowerInvariant()] = Index(unique == 1, keys);
            }
        }
        return tables;
    }

    [GeneratedRegex(@"--[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(
        @"\bCREATE\s+TABLE\s+(?<table>[\w\[\]\.]+)\s*\(" +
        @"|\bCREATE\s+(?<unique>UNIQUE\s+)?(?:CLUSTERED\s+|NONCLUSTERED\s+)?INDEX\s+(?<index>[\w\[\]]+)\s+ON\s+(?<on>[\w\[\]\.]+)\s*\(" +
        @"|\bALTER\s+TABLE\s+(?<alter>[\w\[\]\.]+)\s+(?<rest>[^;]*?)(?=;|\n\s*GO\s*(\n|$)|\n\s*(CREATE|ALTER|DROP|EXEC|IF|END)\b|$)" +
        @"|\bDROP\s+INDEX\s+(?:IF\s+EXISTS\s+)?(?<dropIndex>[\w\[\]]+)\s+ON\s+(?<dropOn>[\w\[\]\.]+)" +
        @"|\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?<drop>[\w\[\]\.]+)" +
        @"|\bsp_rename\s+N?'(?<from>[^']+)'\s*,\s*N?'(?<to>[^']+)'(?:\s*,\s*N?'(?<kind>\w+)')?",
        RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Statement();

    [GeneratedRegex(@"PRIMARY\s+KEY\s+(?:CLUSTERED\s+|NONCLUSTERED\s+)?\((?<columns>[^)]*)\)", RegexOptions.IgnoreCase)]
    private static partial Regex PrimaryKey();

    [GeneratedRegex(@"^CONSTRAINT\s+(?<name>[\w\[\]]+)\s+", RegexOptions.IgnoreCase)]
    private static partial Regex NamedConstraint();

    [GeneratedRegex(@"UNIQUE\s+(?:CLUSTERED\s+|NONCLUSTERED\s+)?\((?<columns>[^)]*)\)", RegexOptions.IgnoreCase)]
    private static partial Regex UniqueConstraint();

    private static Dictionary<string, Table> SqlServerSchema(IEnumerable<Migrator.Script> scripts)
    {
        var tables = new Dictionary<string, Table>(StringComparer.Ordinal);
        foreach (var script in scripts)
        {
            var text = Comments().Replace(script.Text, "");
            foreach (Match m in Statement().Matches(text))
            {
                if (m.Groups["table"].Success)
                {
                    var table = tables[Name(m.Groups["table"].Value)] = new Table();
                    foreach (var part in TopLevel(Parenthesised(text, m.Index + m.Length - 1)))
                        Define(table, part);
                }
                else if (m.Groups["index"].Success)
                {
                    var columns = TopLevel(Parenthesised(text, m.Index + m.Length - 1)).Select(c => Name(c.Split(' ')[0]));
                    tables[Name(m.Groups["on"].Value)].Indexes[Name(m.Groups["index"].Value)] = Index(m.Groups["unique"].Success, columns);
                }
                else if (m.Groups["alter"].Success)
                {
                    Alter(tables[Name(m.Groups["alter"].Value)], m.Groups["rest"].Value.Trim());
                }
                else if (m.Groups["dropIndex"].Success)
                {
                    tables[Name(m.Groups["dropOn"].Value)].Indexes.Remove(Name(m.Groups["dropIndex"].Value));
                }
                else if (m.Groups["drop"].Success)
                {
                    tables.Remove(Name(m.Groups["drop"].Value));
                }
                else if (m.Groups["kind"].Value.Equals("COLUMN", StringComparison.OrdinalIgnoreCase))
                {
                    var (table, column) = (Name(m.Groups["from"].Value.Split('.')[0]), Name(m.Groups["from"].Value.Split('.')[1]));
                    var to = Name(m.Groups["to"].Value);
                    tables[table].Columns.Remove(column);
                    tables[table].Columns.Add(to);
                    tables[table].PrimaryKey = [.. tables[table].PrimaryKey.Select(c => c == column ? to : c)];
                }
                else if (m.Groups["from"].Success && m.Groups["kind"].Value is "" or "OBJECT")
                {
                    var from = Name(m.Groups["from"].Value);
                    if (tables.Remove(from, out var table))
                        tables[Name(m.Groups["to"].Value)] = table;
                }
            }
        }
        return tables;
    }

    /// <summary>One element of a CREATE TABLE's list: a column (with inline keys) or a table constraint.</summary>
    private static void Define(Table table, string part)
    {
        var named = NamedConstraint().Match(part);
        var body = named.Success ? part[named.Length..] : part;
        if (named.Success || Regex.IsMatch(body, @"^(PRIMARY\s+KEY|UNIQUE|FOREIGN\s+KEY|CHECK|INDEX)\b", RegexOptions.IgnoreCase))
        {
            if (PrimaryKey().Match(body) is { Success: true } pk)
            {
                table.PrimaryKey = [.. pk.Groups["columns"].Value.Split(',').Select(c => Name(c.Trim().Split(' ')[0]))];
                table.PrimaryKeyName = named.Success ? Name(named.Groups["name"].Value) : null;
            }
            else if (UniqueConstraint().Match(body) is { Success: true } unique)
                table.Uniques.Add(string.Join(',', unique.Groups["columns"].Value.Split(',').Select(c => Name(c.Trim().Split(' ')[0]))));
            return;
        }
        var column = Name(part.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)[0]);
        table.Columns.Add(column);
        if (Regex.IsMatch(part, @"\bPRIMARY\s+KEY\b", RegexOptions.IgnoreCase))
            table.PrimaryKey = [column];
        else if (Regex.IsMatch(part, @"\bUNIQUE\b", RegexOptions.IgnoreCase))
            table.Uniques.Add(column);
    }

    private static void Alter(Table table, string rest)
    {
        if (Regex.Match(rest, @"^DROP\s+CONSTRAINT\s+(?<name>[\w\[\]]+)", RegexOptions.IgnoreCase) is { Success: true } dropped)
        {
            if (Name(dropped.Groups["name"].Value) == table.PrimaryKeyName)
                (table.PrimaryKey, table.PrimaryKeyName) = ([], null);
        }
        else if (Regex.Match(rest, @"^DROP\s+COLUMN\s+(?<columns>.*)$", RegexOptions.IgnoreCase | RegexOptions.Singleline) is { Success: true } columns)
        {
            foreach (var column in columns.Groups["columns"].Value.Split(','))
                table.Columns.Remove(Name(column.Trim()));
        }
        else if (Regex.Match(rest, @"^ADD\s+(?<list>.*)$", RegexOptions.IgnoreCase | RegexOptions.Singleline) is { Success: true } added)
        {
            foreach (var part in TopLevel(added.Groups["list"].Value))
                Define(table, part);
        }
    }

    /// <summary>The text inside the parenthesis that opens at <paramref name="open"/>.</summary>
    private static string Parenthesised(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '(')
                depth++;
            else if (text[i] == ')' && --depth == 0)
                return text[(open + 1)..i];
        }
        throw new InvalidOperationException($"unclosed parenthesis at {open}");
    }

    /// <summary>The comma-separated parts of a list, commas inside parentheses or quotes left alone.</summary>
    private static List<string> TopLevel(string list)
    {
        var parts = new List<string>();
        var (depth, quoted, start) = (0, false, 0);
        for (var i = 0; i < list.Length; i++)
        {
            var c = list[i];
            if (c == '\'')
                quoted = !quoted;
            else if (!quoted && c == '(')
                depth++;
            else if (!quoted && c == ')')
                depth--;
            else if (!quoted && depth == 0 && c == ',')
            {
                parts.Add(list[start..i].Trim());
                start = i + 1;
            }
        }
        parts.Add(list[start..].Trim());
        return [.. parts.Where(p => p.Length > 0)];
    }

    private static string Name(string name) => name.Trim().Trim('[', ']').Split('.')[^1].Trim('[', ']').ToLowerInvariant();
}
