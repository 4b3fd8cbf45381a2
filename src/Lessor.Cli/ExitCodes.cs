namespace Lessor.Cli;

/// <summary>The exit codes every command follows, documented in the README and at the end of `lessor --help`.</summary>
internal static class ExitCodes
{
    /// <summary>Done: the answer was printed, or the write was made.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure: a bug, or a store that could not be reached or read.</summary>
    public const int Failure = 1;

    /// <summary>Bad input: a flag, an argument, a file or a missing store. Nothing was done.</summary>
    public const int BadInput = 2;

    /// <summary>Understood but refused: does not fit, a stale plan, a conflict, an edit the terms refuse. Nothing was written.</summary>
    public const int Refused = 3;

    /// <summary>The table as `lessor --help` prints it.</summary>
    public const string Table = """
        Exit codes:
          0  success
          1  unexpected failure (a bug, or the store could not be reached)
          2  bad input: a flag, an argument, a file, a missing store (nothing was done)
          3  refused: does not fit, a stale plan, a conflict, an amendment the terms refuse (nothing was written)
        """;
}
