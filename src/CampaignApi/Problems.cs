namespace Loa.CampaignApi;

/// <summary>
/// The one place that turns a failure into RFC 9457 problem details, each with a stable <c>type</c>.
/// </summary>
public static class Problems
{
    private const string Base = "https://loa.gov.vn/problems/";

    public static IResult Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        TypedResults.ValidationProblem(errors, detail: detail ?? "One or more fields are invalid.", type: Base + "validation", title: "Invalid request");

    public static IResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static IResult Unprocessable(string type, string title, string detail, IDictionary<string, string[]>? errors = null) =>
        errors is null
            ? TypedResults.Problem(detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: title, type: Base + type)
            : TypedResults.Problem(new HttpValidationProblemDetails(errors)
            {
                Status = StatusCodes.Status422UnprocessableEntity, Title = title, Detail = detail, Type = Base + type,
            });

    public static IResult NotFound(string what) =>
        TypedResults.Problem($"No {what} with this id is visible to you.", statusCode: StatusCodes.Status404NotFound, title: "Not found", type: Base + "not-found");

    public static IResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Not allowed in the current status", type: Base + "status-conflict");

    /// <summary>A repeat of something already received (same key): answered, never applied twice.</summary>
    public static IResult Duplicate(string detail, string title = "Already received") =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: title, type: Base + "duplicate");

    public static IResult TooLarge(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large", type: Base + "too-large");

    public static IResult Forbidden(string type, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", type: Base + type);

    public static IResult Unauthorized(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", type: Base + "unauthorized");

    public static IResult TooManyRequests(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests", type: Base + "rate-limited");

    public static IResult UnsupportedMediaType(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type", type: Base + "media-type");
}
