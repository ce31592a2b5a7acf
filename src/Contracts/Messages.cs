namespace Loa.Contracts;

// Messages on the bus. The database is the source of truth: each message only names a row to act
// on, so a lost or repeated message is repaired by the sweeper or ignored by the row's status.

/// <summary>A campaign's start time has come: plan its audience into deliveries and batches.</summary>
public sealed record LaunchCampaign(string CampaignId);

/// <summary>A committed batch is ready for its carrier's send lane.</summary>
public sealed record SendBatch(long BatchId, string CampaignId, string Carrier, int Priority);
