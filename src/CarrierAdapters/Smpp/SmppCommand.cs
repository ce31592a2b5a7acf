namespace Loa.CarrierAdapters.Smpp;

/// <summary>SMPP 3.4 command ids (§5.1.2.1). A response is its request's id with the high bit set.</summary>
public enum SmppCommand : uint
{
    GenericNack = 0x80000000,
    BindReceiver = 0x00000001,
    BindReceiverResp = 0x80000001,
    BindTransmitter = 0x00000002,
    BindTransmitterResp = 0x80000002,
    QuerySm = 0x00000003,
    QuerySmResp = 0x80000003,
    SubmitSm = 0x00000004,
    SubmitSmResp = 0x80000004,
    DeliverSm = 0x00000005,
    DeliverSmResp = 0x80000005,
    Unbind = 0x00000006,
    UnbindResp = 0x80000006,
    ReplaceSm = 0x00000007,
    ReplaceSmResp = 0x80000007,
    CancelSm = 0x00000008,
    CancelSmResp = 0x80000008,
    BindTransceiver = 0x00000009,
    BindTransceiverResp = 0x80000009,
    Outbind = 0x0000000B,
    EnquireLink = 0x00000015,
    EnquireLinkResp = 0x80000015,
    SubmitMulti = 0x00000021,
    SubmitMultiResp = 0x80000021,
    AlertNotification = 0x00000102,
    DataSm = 0x00000103,
    DataSmResp = 0x80000103,
}

public static class SmppCommands
{
    private const uint ResponseBit = 0x80000000;

    public static bool IsResponse(SmppCommand command) => ((uint)command & ResponseBit) != 0;

    /// <summary>The response a request is answered with (generic_nack for a command we do not know).</summary>
    public static SmppCommand ResponseTo(SmppCommand request) => (SmppCommand)((uint)request | ResponseBit);

    public static bool IsKnown(uint id) => Enum.IsDefined(typeof(SmppCommand), id);

    public static bool IsBind(SmppCommand command) =>
        command is SmppCommand.BindTransceiver or SmppCommand.BindTransmitter or SmppCommand.BindReceiver;
}
