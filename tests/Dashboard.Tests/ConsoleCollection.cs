namespace Loa.Dashboard.Tests;

/// <summary>
/// The console specs share one Loa host and one browser, and run one after another: a spec that changes what
/// every tenant shares (the commune table) leaves it as it found it before the next one starts.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<DashboardWorld>
{
    public const string Name = "Console";
}
