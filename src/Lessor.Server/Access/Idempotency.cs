using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lessor.Server.Json;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Lessor.Server.Access;

/// <summary>
/// Idempotency keys as the API and the CLI make them: scoped to the caller (its API key, and a tenant's customer), with
/// a digest of the request the key came with. A replay answers only to the key's owner and only for the same request;
/// the same key with another request is refused (422), as payment APIs do, instead of answering with the first result.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";

    /// <summary>Longest key accepted: enough for a UUID with a prefix, short enough to index.</summary>
    public const int MaxLength = 200;

    /// <summary>The scope of keys given to `lessor` commands, which work on the store directly with no API key.</summary>
    public const string CliScope = "cli";

    /// <summary>
    /// The caller a key belongs to: its API key id, and for a tenant its customer. Every endpoint that takes a key requires
    /// a key to get in, so a caller without one is a bug.
    /// </summary>
    public static string ScopeOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var key = user.FindFirstValue(Roles.KeyClaim) ?? throw new InvalidOperationException("An idempotent endpoint was reached without an API key.");
        return user.TenantCustomer() is { } customer ? $"key:{key};customer:{customer}" : $"key:{key}";
    }

    /// <summary>The field error for a key that cannot be stored, or null when it is absent or fine.</summary>
    public static string? Invalid(string? key) => key switch
    {
        null => null,
        { Length: 0 } => "must not be empty; leave the header out to send no key.",
        { Length: > MaxLength } => $"at most {MaxLength} characters.",
        _ => null,
    };

    /// <summary>
    /// The key as stored, or null when none was sent. <paramref name="operation"/> names the endpoint (a key reused on
    /// another endpoint is another request); <paramref name="request"/> is what the caller asked, before any default is
    /// filled in from the clock, so that a retry on a later day is still the same request.
    /// </summary>
    public static IdempotencyKey? For<T>(string scope, string? key, string operation, T request) =>
        key is null ? null : new IdempotencyKey(scope, key, Digest(operation, request));

    /// <summary>SHA-256 of the operation and the request in Lessor's compact JSON: property order and spacing do not matter.</summary>
    public static string Digest<T>(string operation, T request)
    {
        var json = JsonSerializer.Serialize(request, LessorJson.Compact);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(operation + "\n" + json)));
    }

    /// <summary>The sentence for a key reused with another request; nothing was done.</summary>
    public static string MismatchMessage(IdempotencyKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return $"Idempotency-Key '{key.Key}' was first used with a different request; nothing was done. Send a new key for a new request.";
    }

    /// <summary>422 naming the header: the key was first used with another request.</summary>
    public static UnprocessableEntity<ProblemDetails> Mismatch(string message) => TypedResults.UnprocessableEntity(new ProblemDetails
    {
        Title = "The Idempotency-Key was already used with a different request.",
        Detail = message,
        Status = StatusCodes.Status422UnprocessableEntity,
        Extensions = { ["field"] = Header },
    });
}
