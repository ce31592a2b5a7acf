using System.Text.Json;

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

    /// <summary>
    /// A campaign a correction has replaced: refused whatever was asked (approve, resume, submit, correct
    /// again), with the campaign to act on instead in the text and as <c>supersededBy</c>.
    /// </summary>
    public static IResult Superseded(string id, string supersededBy) =>
        TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = StatusCodes.Status409Conflict, Title = "Superseded", Type = Base + "superseded",
            Detail = $"Campaign {id} is superseded by {supersededBy}: a correction of it was approved, so it is stopped for good. Act on {supersededBy} instead.",
            Extensions = { ["supersededBy"] = supersededBy },
        });

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

    /// <summary>An uploaded file that cannot be read past <paramref name="line"/> (1 is the header): a field error on the body, and the line as a member of its own.</summary>
    public static IResult Unreadable(long line, string reason) =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["body"] = [$"Line {line}: {reason}"] })
        {
            Status = StatusCodes.Status400BadRequest, Title = "Invalid request", Type = Base + "unreadable",
            Detail = $"The file cannot be read at line {line}: {reason} Nothing was written.",
            Extensions = { ["line"] = line },
        });

    /// <summary>
    /// The status an exception is answered with: the client's own faults (a request Kestrel or the
    /// parameter binding refused) keep their 4xx, anything else is ours, a 500.
    /// </summary>
    public static int StatusOf(Exception exception) =>
        exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;

    /// <summary>The answer to an exception that is the client's fault, or null for ours (then a 500 and an error log).</summary>
    public static IResult? ForClientFault(Exception exception)
    {
        if (exception is not BadHttpRequestException bad)
            return null;
        return bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => TooLarge("The request body is larger than this endpoint accepts."),
            StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType(bad.Message),
            StatusCodes.Status400BadRequest when bad.InnerException is JsonException { InnerException: InvalidOperationException inner } json && IsBrokenText(inner) =>
                Validation(JsonField(json.Path), "Not valid text: it holds a lone surrogate or bytes that are not UTF-8, which no SMS can carry."),
            StatusCodes.Status400BadRequest when bad.InnerException is JsonException json => Validation(JsonField(json.Path), "Not valid here: wrong type, malformed value or broken JSON."),
            StatusCodes.Status400BadRequest => Validation("body", $"The request cannot be read: {bad.Message}"),
            _ => TypedResults.Problem(bad.Message, statusCode: bad.StatusCode, type: Base + "bad-request"),
        };
    }

    /// <summary>
    /// System.Text.Json refuses a string that is not valid UTF-16 once unescaped (<c>\ud800</c> alone) or
    /// not valid UTF-8 with an InvalidOperationException that has no type of its own: its message is all
    /// that tells it from a wrong token type.
    /// </summary>
    private static bool IsBrokenText(InvalidOperationException e) =>
        e.Message.Contains("UTF-16", StringComparison.Ordinal) || e.Message.Contains("UTF-8", StringComparison.Ordinal);

    /// <summary><c>$.audience.lists[0]</c> as the field path validation errors use (<c>audience.lists[0]</c>); the body itself when there is no path.</summary>
    private static string JsonField(string? path) =>
        path is null or "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
}
