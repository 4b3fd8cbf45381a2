namespace Lessor.Core.Model;

/// <summary>
/// The one rule every id obeys (files, API, CLI): 1 to <see cref="MaxLength"/> ASCII letters, digits, '-', '_' or '.',
/// starting with a letter or digit. Upper case is allowed because the desk and the ledger name unnamed lines
/// <c>L1</c>, <c>L2</c>..., and what they store must read back; the length leaves room for the ids the desk, the
/// generator and the planner derive by appending (<c>{customer}-3</c>, <c>{site}-f2</c>, <c>{fabric}-d7</c>).
/// </summary>
public static class Slug
{
    public const int MaxLength = 128;

    /// <summary>The rule in words, for messages and documents.</summary>
    public const string Rule = "an id is 1 to 128 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit";

    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength || !char.IsAsciiLetterOrDigit(id[0])) return false;
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return false;
        }
        return true;
    }
}
