using Loa.CarrierAdapters.Encoding;

namespace Loa.CarrierAdapters.Tests.Encoding;

/// <summary>
/// The texts of shared/data/sample-alerts.json. Expected lengths and parts were counted independently
/// of the code under test: characters, plus one for each of <c>[</c> and <c>]</c> in the drill text;
/// parts as 1 up to 160 (GSM-7) or 70 (UCS-2), else ceil(length / 153) or ceil(length / 67).
/// </summary>
public class SampleAlertTextTests
{
    private sealed record Sample(string Kind, string Sms, string SmsAccented, int Septets, int Gsm7Parts, int Ucs2Parts);

    private static readonly Sample[] Samples =
    [
        new(
            "emergency",
            "CANH BAO KHAN: Dang co dot lua dao gia danh ngan hang yeu cau cung cap ma OTP. Khong cung cap OTP, mat khau cho bat ky ai. Bao cao lua dao tai canhbao.khonggianmang.vn",
            "CẢNH BÁO KHẨN: Đang có đợt lừa đảo giả danh ngân hàng yêu cầu cung cấp mã OTP. Không cung cấp OTP, mật khẩu cho bất kỳ ai. Báo cáo lừa đảo tại canhbao.khonggianmang.vn",
            Septets: 167, Gsm7Parts: 2, Ucs2Parts: 3),
        new(
            "warning",
            "Cuc ATTT canh bao: ung dung gia mao dich vu cong dang phat tan ma doc tren Android. Chi cai ung dung tu kho chinh thuc. Chi tiet: khonggianmang.vn",
            "Cục ATTT cảnh báo: ứng dụng giả mạo dịch vụ công đang phát tán mã độc trên Android. Chỉ cài ứng dụng từ kho chính thức. Chi tiết: khonggianmang.vn",
            Septets: 146, Gsm7Parts: 1, Ucs2Parts: 3),
        new(
            "awareness: Information Security Day",
            "Huong ung Ngay ATTT Viet Nam: dat mat khau manh, bat xac thuc 2 lop, cap nhat phan mem thuong xuyen. Tim hieu them tai khonggianmang.vn",
            "Hưởng ứng Ngày ATTT Việt Nam: đặt mật khẩu mạnh, bật xác thực 2 lớp, cập nhật phần mềm thường xuyên. Tìm hiểu thêm tại khonggianmang.vn",
            Septets: 135, Gsm7Parts: 1, Ucs2Parts: 3),
        new(
            "awareness: the elderly",
            "Ong ba, cha me luu y: khong chuyen tien theo cuoc goi tu xung la cong an, toa an, nguoi than gap nan. Goi lai so quen biet de xac minh.",
            "Ông bà, cha mẹ lưu ý: không chuyển tiền theo cuộc gọi tự xưng là công an, tòa án, người thân gặp nạn. Gọi lại số quen biết để xác minh.",
            Septets: 135, Gsm7Parts: 1, Ucs2Parts: 3),
        new(
            "test",
            "[DIEN TAP] Day la tin nhan thu nghiem he thong canh bao. Khong can thuc hien hanh dong nao.",
            "[DIỄN TẬP] Đây là tin nhắn thử nghiệm hệ thống cảnh báo. Không cần thực hiện hành động nào.",
            Septets: 93, Gsm7Parts: 1, Ucs2Parts: 2),
    ];

    public static TheoryData<string> Kinds() => new(Samples.Select(s => s.Kind));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Unaccented_sample_is_gsm7(string kind)
    {
        var sample = Samples.Single(s => s.Kind == kind);
        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, sample.Septets, sample.Gsm7Parts), SmsText.Measure(sample.Sms));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Accented_sample_needs_ucs2_and_more_parts(string kind)
    {
        var sample = Samples.Single(s => s.Kind == kind);
        var measure = SmsText.Measure(sample.SmsAccented);

        Assert.Equal(SmsEncoding.Ucs2, measure.Encoding);
        Assert.Equal(sample.SmsAccented.Length, measure.Length);
        Assert.Equal(sample.Ucs2Parts, measure.Parts);
        Assert.True(measure.Parts > sample.Gsm7Parts);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Stripping_the_accented_sample_gives_the_unaccented_sample_at_its_gsm7_cost(string kind)
    {
        var sample = Samples.Single(s => s.Kind == kind);
        var stripped = Unaccent.Strip(sample.SmsAccented);

        Assert.Equal(sample.Sms, stripped);
        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, sample.Septets, sample.Gsm7Parts), SmsText.Measure(stripped));
    }

    [Fact]
    public void The_drill_text_brackets_count_two_septets_each()
    {
        const string accented = "[DIỄN TẬP] Đây là tin nhắn thử nghiệm hệ thống cảnh báo. Không cần thực hiện hành động nào.";

        Assert.Equal(91, accented.Length);
        Assert.Equal(93, SmsText.Measure(Unaccent.Strip(accented)).Length);
    }
}
