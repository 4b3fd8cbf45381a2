using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lessor.Server.Access;

/// <summary>Reads `Authorization: Bearer lsr_...` (or `X-Api-Key`), checks it against the stored hash, and names the role.</summary>
public sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, KeyRegistry keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? auth["Bearer ".Length..].Trim()
            : Request.Headers["X-Api-Key"].ToString();
        if (string.IsNullOrEmpty(presented)) return AuthenticateResult.NoResult();
        if (!ApiKeys.TryParse(presented, out var id, out var secret)) return AuthenticateResult.Fail("The API key is malformed.");
        var key = await keys.FindAsync(id, Context.RequestAborted);
        if (key is null || key.Revoked || !keys.Verify(key, secret)) return AuthenticateResult.Fail("The API key is unknown or revoked.");

        var claims = new List<Claim> { new(ClaimTypes.Name, key.Name), new(ClaimTypes.Role, key.Role), new(Roles.KeyClaim, key.Id) };
        if (key.Customer is { } customer) claims.Add(new Claim(Roles.CustomerClaim, customer.Value));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    /// <summary>401 with a ProblemDetails that says what was wrong with the key (if one came) and how to get one.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message ?? "No API key was sent.";
        var problems = Context.RequestServices.GetService<IProblemDetailsService>();
        if (problems is null) return;
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = StatusCodes.Status401Unauthorized, Title = "Unauthorized", Detail = $"{failure} {HowToGetAKey(Context)}" },
        });
    }

    /// <summary>The sentence a 401 ends with: the header to send, and the command that makes a key for this server's store.</summary>
    public static string HowToGetAKey(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var db = context.RequestServices.GetService<LessorState>()?.Store.Location switch
        {
            StoreLocation.Sqlite s => s.Path.Contains(' ', StringComparison.Ordinal) ? $"\"{s.Path}\"" : s.Path,
            _ => "\"<connection string>\"",
        };
        return $"Send `Authorization: Bearer <key>`; create a key with `lessor keys create --role admin --db {db}` (a key's secret is shown once).";
    }
}

/// <summary>
/// A tenant asking for something outside its customer gets 404, as if it did not exist: a 403 would tell it the
/// resource is there. Other roles get 403.
/// </summary>
public sealed class TenantHidesForbidden : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && context.User.IsInRole(Roles.Tenant))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}

/// <summary>Helpers for handlers that filter by tenant.</summary>
public static class Caller
{
    /// <summary>The customer a tenant key is bound to; null for every other role.</summary>
    public static string? TenantCustomer(this ClaimsPrincipal user) =>
        user.IsInRole(Roles.Tenant) ? user.FindFirstValue(Roles.CustomerClaim) : null;

    /// <summary>True when the caller may see this customer's data.</summary>
    public static bool MaySee(this ClaimsPrincipal user, string customer) =>
        user.TenantCustomer() is not { } own || own == customer;
}
