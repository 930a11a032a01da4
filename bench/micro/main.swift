// trellis-bench: microbenchmarks of the gateway's building blocks. Prints one JSON object per line
// (see Measurement.jsonObject) for `bench/report.py`; `make bench` runs it from a release build.
// Pass group names (tokenBucket, parser, decoratorChain, logLine) to run only those.

let requested = Set(CommandLine.arguments.dropFirst())

func wanted(_ group: String) -> Bool { requested.isEmpty || requested.contains(group) }

var results: [Measurement] = []
if wanted("parser") { results += ParserBenchmarks.run() }
if wanted("decoratorChain") { results += await DecoratorChainBenchmarks.run() }
if wanted("logLine") { results += LogLineBenchmarks.run() }
// Last, because its million keys raise the resident memory the other groups would run with.
if wanted("tokenBucket") { results += TokenBucketBenchmarks.run() }
for result in results { print(result.jsonObject) }
