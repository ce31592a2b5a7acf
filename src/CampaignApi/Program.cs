using Loa.CampaignApi;

var app = LoaApi.Build(args);
await LoaApi.PrepareAsync(app);
await app.RunAsync();

/// <summary>Visible to WebApplicationFactory-based tests.</summary>
public partial class Program;
