namespace CoffeeShop.Cli;

/// <summary>How the tool starts the suite for chaos and bench.</summary>
/// <param name="Sync">The benchmark's foil: the counter calls cashier and barista over HTTP and waits.</param>
/// <param name="DrinkMs">How long a drink takes.</param>
/// <param name="BaristaConcurrency">Orders one barista process makes at once.</param>
/// <param name="RabbitMq">An AMQP URI: the services' bus is RabbitMQ instead of the SQLite bus file.</param>
/// <param name="Postgres">A PostgreSQL server (no database): each service gets a database of its own on it, made for the run and dropped after.</param>
public sealed record SuiteOptions(
    bool Sync = false, int DrinkMs = 200, int BaristaConcurrency = 1, int GatewayLatencyMs = 20, string? RabbitMq = null, string? Postgres = null);

/// <summary>
/// The whole suite as processes of the tool's own, on the embedded defaults in a data folder of its own: payment
/// gateway, cashier, rewards, two baristas and the counter. A barista can be killed and started again.
/// </summary>
public sealed class SuiteLauncher : IAsyncDisposable
{
    private readonly List<ServiceRun> _runs = [];
    private readonly List<int> _baristaPorts = [];
    private readonly SuiteOptions _options;
    private static readonly string[] Services = ["counter", "cashier", "barista", "rewards"];
    private readonly string _data = Path.Combine(Path.GetTempPath(), "coffeeshop-cli", Guid.NewGuid().ToString("N"));
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    private SuiteLauncher(SuiteOptions options) => _options = options;

    public ServiceRun Counter { get; private set; } = null!;

    /// <summary>Where the orders' ends are heard, on the suite's bus.</summary>
    public OutcomeFeed Outcomes { get; private set; } = null!;

    public List<ServiceRun> Baristas { get; } = [];

    public static async Task<SuiteLauncher> StartAsync(SuiteOptions options, Action<string>? said, CancellationToken cancellationToken)
    {
        var suite = new SuiteLauncher(options);
        Directory.CreateDirectory(suite._data);
        try
        {
            await suite.CreateDatabasesAsync(cancellationToken);
            suite.Outcomes = await OutcomeFeed.StartAsync(Path.Combine(suite._data, "bus.db"), options.RabbitMq, cancellationToken);
            var gateway = await suite.StartAsync("payment-gateway", "CoffeeShop.PaymentGateway", said, 0, [("PaymentGateway__LatencyMs", $"{options.GatewayLatencyMs}")], cancellationToken);
            var cashier = await suite.StartAsync("cashier", "CoffeeShop.Cashier", said, 0, [("CoffeeShop__PaymentGateway", gateway.Address.ToString())], cancellationToken);
            var rewards = await suite.StartAsync("rewards", "CoffeeShop.Rewards", said, 0, [], cancellationToken);
            for (var i = 0; i < 2; i++)
            {
                await suite.StartBaristaAsync(i, said, cancellationToken);
            }

            suite.Counter = await suite.StartAsync("counter", "CoffeeShop.Counter", said, 0,
                [("CoffeeShop__Mode", options.Sync ? "sync" : "async"), ("CoffeeShop__BaristaDeadlineSeconds", "600"),
                 ("CoffeeShop__Services__cashier", cashier.Address.ToString()), ("CoffeeShop__Services__rewards", rewards.Address.ToString()),
                 ("CoffeeShop__Services__barista", string.Join(';', suite.Baristas.Select(b => b.Address)))], cancellationToken);
            return suite;
        }
        catch
        {
            await suite.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts barista <paramref name="index"/> (0-based), again if it ran before: on the same port, so a sync counter finds it.</summary>
    public async Task<ServiceRun> StartBaristaAsync(int index, Action<string>? said, CancellationToken cancellationToken)
    {
        while (_baristaPorts.Count <= index)
        {
            _baristaPorts.Add(FreePort());
        }

        var name = $"barista-{index + 1}";
        var barista = await StartAsync(name, "CoffeeShop.Barista", said, _baristaPorts[index],
            [("Barista__Name", name), ("Barista__DrinkMs", $"{_options.DrinkMs}"), ("Barista__Concurrency", $"{_options.BaristaConcurrency}")], cancellationToken);
        if (index < Baristas.Count)
        {
            Baristas[index] = barista;
        }
        else
        {
            Baristas.Add(barista);
        }

        return barista;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var run in Enumerable.Reverse(_runs))
        {
            run.Dispose();
        }

        if (Outcomes is not null)
        {
            await Outcomes.DisposeAsync();
        }

        await DropDatabasesAsync();

        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder.
        }
    }

    /// <summary>The bus and database settings of a service, as the AppHost gives them with CoffeeShop:Infrastructure=rabbitmq-postgres.</summary>
    private (string Key, string Value)[] Infrastructure(string project)
    {
        var service = project["CoffeeShop.".Length..].ToLowerInvariant();
        if (_options.RabbitMq is null || _options.Postgres is null || !Services.Contains(service))
        {
            return [];
        }

        return [("ConnectionStrings__rabbitmq", _options.RabbitMq), ($"ConnectionStrings__{service}-db", DatabaseOf(service))];
    }

    private string DatabaseOf(string service) =>
        new Npgsql.NpgsqlConnectionStringBuilder(_options.Postgres) { Database = $"coffeeshop_{service}_{_run}", MaxPoolSize = 20 }.ConnectionString; // as the AppHost: 4 × 20 of PostgreSQL's 100

    private async Task CreateDatabasesAsync(CancellationToken cancellationToken)
    {
        if (_options.Postgres is null)
        {
            return;
        }

        await using var server = new Npgsql.NpgsqlConnection(_options.Postgres);
        await server.OpenAsync(cancellationToken);
        foreach (var service in Services)
        {
            await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"coffeeshop_{service}_{_run}\"", server);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private async Task DropDatabasesAsync()
    {
        if (_options.Postgres is null)
        {
            return;
        }

        await using var server = new Npgsql.NpgsqlConnection(_options.Postgres);
        await server.OpenAsync();
        foreach (var service in Services)
        {
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"coffeeshop_{service}_{_run}\" WITH (FORCE)", server);
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The built dll of service <paramref name="project"/>: built beside the tool, in the same configuration.</summary>
    public static string PathOf(string project)
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = framework.Parent!;
        var suite = configuration.Parent!.Parent!.Parent!;
        var dll = Path.Combine(suite.FullName, project, "bin", configuration.Name, framework.Name, project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build samples/CoffeeShop/{project} first (dotnet build samples/CoffeeShop/CoffeeShop.Cli).", dll);
    }

    private async Task<ServiceRun> StartAsync(
        string name, string project, Action<string>? said, int port, (string Key, string Value)[] settings, CancellationToken cancellationToken)
    {
        said?.Invoke($"starting {name}");
        var run = await ServiceRun.StartAsync(name, PathOf(project), port, [("CoffeeShop__Data", _data), .. Infrastructure(project), .. settings], cancellationToken);
        _runs.Add(run);
        return run;
    }
}
