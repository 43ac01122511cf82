using CoffeeShop.Cli;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("coffeeshop");
    config.AddCommand<DemoCommand>("demo").WithDescription("Place a few orders at the running suite and show their timelines.");
    config.AddCommand<LoadCommand>("load").WithDescription("Drive the running suite with orders at a steady rate; summarise how they ended.");
    config.AddCommand<ChaosCommand>("chaos").WithDescription("Start the suite, kill a barista (kill -9) under load, start it again: every order still ends.");
    config.AddCommand<BenchCommand>("bench").WithDescription("Sync against async, measured: start the suite in each mode, drive both, print one JSON line per mode.");
});
return await app.RunAsync(args);
