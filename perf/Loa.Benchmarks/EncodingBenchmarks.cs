using BenchmarkDotNet.Attributes;
using Loa.CarrierAdapters.Encoding;

namespace Loa.Benchmarks;

/// <summary>
/// SMS encoding and part counting, run once per campaign preview and per text change. Gsm7Alphabet is
/// internal to Loa.CarrierAdapters, so it is measured through <see cref="SmsText.Measure"/>, its only caller.
/// </summary>
[MemoryDiagnoser]
public class EncodingBenchmarks
{
    private const string Vietnamese = "Cục ATTT cảnh báo: ứng dụng giả mạo dịch vụ công đang phát tán mã độc trên Android. Không cài ứng dụng ngoài kho chính thức, không cung cấp mã OTP cho bất kỳ ai.";

    private readonly string gsmShort = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai, ke ca nguoi xung la cong an.";
    private readonly string gsmLong = string.Concat(Enumerable.Repeat("Cuc ATTT canh bao: khong cung cap ma OTP [cho] bat ky ai. ", 7));
    private readonly string ucs2 = Vietnamese;

    [Benchmark]
    public SmsMeasure MeasureGsm7Single() => SmsText.Measure(gsmShort);

    [Benchmark]
    public SmsMeasure MeasureGsm7MultipartWithEscapes() => SmsText.Measure(gsmLong);

    [Benchmark]
    public SmsMeasure MeasureUcs2Vietnamese() => SmsText.Measure(ucs2);

    [Benchmark]
    public string UnaccentVietnamese() => Unaccent.Strip(Vietnamese);

    [Benchmark]
    public SmsMeasure UnaccentThenMeasure() => SmsText.Measure(Unaccent.Strip(Vietnamese));
}
