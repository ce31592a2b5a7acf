using BenchmarkDotNet.Running;

// Micro-benchmarks of the per-message hot code (issue 7):
//   dotnet run -c Release --project perf/Loa.Benchmarks -- --filter '*'               (full)
//   dotnet run -c Release --project perf/Loa.Benchmarks -- --filter '*' --job short   (quick)
BenchmarkSwitcher.FromAssembly(typeof(Loa.Benchmarks.EncodingBenchmarks).Assembly).Run(args);
