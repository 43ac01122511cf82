namespace Tidings.Sqlite.Transport;

/// <summary>Extends the leases of messages whose handlers are still running.</summary>
internal sealed class RenewOperation(IReadOnlyList<SqliteLease> leases, TimeSpan leaseDuration) : WriteOperation
{
    public override void Execute(BusCommands commands, long nowMs)
    {
        var p = commands.Renew.Parameters;
        foreach (var lease in leases)
        {
            p[0].Value = nowMs + (long)leaseDuration.TotalMilliseconds;
            p[1].Value = lease.Id;
            p[2].Value = lease.Owner;
            commands.Renew.ExecuteNonQuery();
        }
    }
}
