import Glibc

let usage = """
    Usage: trellis <command> [options]

    Commands:
      serve            Serve the functions over HTTP.
      invoke NAME      Invoke one function in-process through its chain and print the response.
      functions        List the registered functions and their chains.
      config check     Validate a config file and the chains it builds.
      events send      Put an event on a trigger's durable queue.
      dlq              List, show and redrive a trigger's dead-lettered events.

    Run `trellis <command> --help` for a command's options.
    """

let arguments = Array(CommandLine.arguments.dropFirst())
let status: Int32
switch arguments.first {
case "serve":
    status = await ServeCommand.run(Array(arguments.dropFirst()))
case "invoke":
    status = await InvokeCommand.run(Array(arguments.dropFirst()))
case "functions":
    status = FunctionsCommand.run(Array(arguments.dropFirst()))
case "config":
    status = ConfigCheckCommand.run(Array(arguments.dropFirst()))
case "events":
    status = await EventsCommand.run(Array(arguments.dropFirst()))
case "dlq":
    status = await DeadLetterCommand.run(Array(arguments.dropFirst()))
case "--help", "-h", "help":
    print(usage)
    status = ExitStatus.success
case nil:
    Output.standardError(usage)
    status = ExitStatus.usage
case let command?:
    Output.standardError("trellis: unknown command \"\(command)\"\n\n\(usage)")
    status = ExitStatus.usage
}
exit(status)
