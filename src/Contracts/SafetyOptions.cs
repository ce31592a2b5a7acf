namespace Loa.Contracts;

/// <summary><c>Loa:Safety</c>: what keeps test sends and awareness campaigns from reaching the wrong people, or too often.</summary>
public sealed class SafetyOptions
{
    public const string Section = "Loa:Safety";

    /// <summary>The only numbers a <c>test</c> campaign may reach (any form Loa normalises); everyone else is suppressed as <c>not-test-number</c>.</summary>
    public List<string> TestNumbers { get; set; } = [];

    /// <summary>Put in front of every test campaign's SMS, so a test can never pass for a real alert.</summary>
    public string TestMarker { get; set; } = "[TEST] ";

    /// <summary>Most awareness messages one number gets in any 24 hours, across campaigns (0 = no cap).</summary>
    public int AwarenessPerDay { get; set; } = 3;
}
