namespace Tidings.Sqlite.Tests.Support;

[MessageName("sqlite-test.card-charged")]
public sealed record CardCharged(int OrderId);
