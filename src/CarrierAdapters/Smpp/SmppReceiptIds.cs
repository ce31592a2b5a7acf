using System.Globalization;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// How an SMSC writes a message id in its receipts compared with its submit_sm_resp
/// (<see cref="SmppOptions.ReceiptIds"/>). Many answer a submit with one radix and write receipts in the
/// other (Kannel's <c>msg-id-type</c>, Jasmin's <c>dlr_msg_id_bases</c> exist for this).
/// </summary>
public enum SmppReceiptIds
{
    /// <summary>The receipt carries the id exactly as submit_sm_resp gave it.</summary>
    AsSubmitted,

    /// <summary>submit_sm_resp gives the id in hexadecimal; receipts write the same number in decimal.</summary>
    HexSubmittedDecimalReceipt,

    /// <summary>submit_sm_resp gives the id in decimal; receipts write the same number in hexadecimal.</summary>
    DecimalSubmittedHexReceipt,
}

/// <summary>
/// Turns a receipt's id (receipted_message_id or the text's <c>id:</c>) into the form submit_sm_resp gave,
/// which is what Loa recorded and what the receipt store matches exactly. Letter case and zero padding of
/// the submitted form are learnt from the ids the SMSC answers with; before the first answer (just after a
/// restart) hex is written in upper case and nothing is padded.
/// </summary>
internal sealed class SmppReceiptIdForm(SmppReceiptIds form)
{
    private volatile bool _lowerCase;
    private int _width;

    /// <summary>Whether submitted ids are worth looking at: only when the two forms differ.</summary>
    public bool Learns => form != SmppReceiptIds.AsSubmitted;

    /// <summary>An id the SMSC answered a submit with: its case and padding are the submitted form's.</summary>
    public void Submitted(string messageId)
    {
        if (!Learns || messageId.Length == 0)
            return;
        if (form == SmppReceiptIds.HexSubmittedDecimalReceipt)
        {
            foreach (var c in messageId)
            {
                if (c is >= 'a' and <= 'f')
                {
                    _lowerCase = true;
                    break;
                }
                if (c is >= 'A' and <= 'F')
                {
                    _lowerCase = false;
                    break;
                }
            }
        }
        // A leading zero means the SMSC pads its ids to a fixed width.
        if (messageId.Length > 1 && messageId[0] == '0' && messageId.Length > Volatile.Read(ref _width))
            Volatile.Write(ref _width, messageId.Length);
    }

    /// <summary>The receipt's id in the submitted form; as it came when it is not a number in the receipt's radix.</summary>
    public string ToSubmitted(string receiptId)
    {
        ArgumentNullException.ThrowIfNull(receiptId);
        string converted;
        switch (form)
        {
            case SmppReceiptIds.HexSubmittedDecimalReceipt
                when receiptId.Length is > 0 and <= 20 && ulong.TryParse(receiptId, NumberStyles.None, CultureInfo.InvariantCulture, out var number):
                converted = number.ToString(_lowerCase ? "x" : "X", CultureInfo.InvariantCulture);
                break;
            case SmppReceiptIds.DecimalSubmittedHexReceipt
                when receiptId.Length is > 0 and <= 16 && ulong.TryParse(receiptId, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var number):
                converted = number.ToString(CultureInfo.InvariantCulture);
                break;
            default:
                return receiptId;
        }
        var width = Volatile.Read(ref _width);
        return converted.Length < width ? converted.PadLeft(width, '0') : converted;
    }
}
