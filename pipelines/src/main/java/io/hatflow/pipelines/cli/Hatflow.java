package io.hatflow.pipelines.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code hatflow} command line. Exit codes (DESIGN.md): 0 success, 2 bad input or usage, 1 any other
 * failure. A command with {@code --json} prints one JSON object as its last line.
 */
@Command(
    name = "hatflow",
    mixinStandardHelpOptions = true,
    versionProvider = Hatflow.Version.class,
    description = "Hardware-aware Transformer architecture search (HAT) as Apache Beam pipelines.",
    subcommands = {
        CommandLine.HelpCommand.class,
        DemoCommand.class,
        RunCommand.class,
        PrepareCommand.class,
        TrainCommand.class,
        SearchCommand.class,
        FinalizeCommand.class,
        ReportCommand.class,
        TranslateCommand.class,
        ExportCommand.class,
        AuditCommand.class,
        BleuCommand.class,
        PublishCommand.class,
        LatencyCommand.class,
        PredictorCommand.class,
    })
public final class Hatflow {

  public static void main(String[] argv) {
    System.exit(execute(argv));
  }

  public static int execute(String... argv) {
    CommandLine cl = new CommandLine(new Hatflow());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      Throwable bad = badInput(ex);
      PrintWriter err = cmd.getErr();
      if (bad != null) {
        err.println("hatflow: error: " + bad.getMessage());
        err.flush();
        return 2;
      }
      // The trace for whoever debugs it, then one line a scheduler's log shows last: what failed and why.
      ex.printStackTrace(err);
      err.println("hatflow: failed: " + io.hatflow.core.run.Failures.oneLine(ex));
      err.flush();
      return 1;
    });
    return cl.execute(argv);
  }

  /** Our bad-input errors may arrive wrapped by Beam's runners; find them in the cause chain. */
  static Throwable badInput(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof IllegalArgumentException) {
        return c;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"hatflow " + io.hatflow.core.run.CodeVersion.get()
          + " (code digest " + io.hatflow.core.run.CodeDigest.current().substring(0, 12) + ")"};
    }
  }
}
