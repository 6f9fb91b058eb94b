package io.hatflow.pipelines.cli;

import io.hatflow.core.run.ExpectedFailure;
import io.hatflow.core.run.Failures;
import io.hatflow.core.run.UserInputException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.nio.channels.ClosedByInterruptException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/**
 * The {@code hatflow} command line. Exit codes (DESIGN.md): 0 success, 2 bad input or usage, 1 any
 * other failure (see {@link #commandLine()}). A command with {@code --json} prints one JSON object
 * as its last line.
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
  @Option(
      names = "--debug",
      scope = ScopeType.INHERIT,
      description =
          "Print the stack trace for bad input and expected failures too (also: HATFLOW_DEBUG=1).")
  boolean debug;

  public static void main(String[] argv) {
    System.exit(execute(argv));
  }

  public static int execute(String... argv) {
    return commandLine().execute(argv);
  }

  /**
   * The command line with its exit-code policy: bad input (a {@link UserInputException}) is exit 2
   * with one line; an expected failure (run directory locked, upstream changed, disk full,
   * interrupted) is exit 1 with one line; anything else is a bug: its stack trace, then the one
   * line, exit 1. The one line is always last.
   */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Hatflow());
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          boolean debug = debug(parsed);
          PrintWriter err = cmd.getErr();
          // Our bad-input errors may arrive wrapped by Beam's runners; find them in the cause
          // chain.
          Throwable bad = find(ex, UserInputException.class);
          if (bad != null) {
            if (debug) {
              ex.printStackTrace(err);
            }
            err.println("hatflow: error: " + bad.getMessage());
            err.flush();
            return 2;
          }
          Throwable expected = expected(ex);
          if (expected == null || debug) {
            ex.printStackTrace(err);
          }
          // What a scheduler's log shows last: what failed and why (for a bug, also what kind of
          // exception).
          err.println(
              "hatflow: failed: "
                  + (expected != null
                      ? Failures.oneLine(expected)
                      : ex.getMessage() == null
                          ? Failures.oneLine(ex)
                          : ex.getClass().getSimpleName() + ": " + Failures.oneLine(ex)));
          err.flush();
          return 1;
        });
    return cl;
  }

  private static boolean debug(ParseResult parsed) {
    String env = System.getenv("HATFLOW_DEBUG");
    if (env != null && !env.isEmpty() && !env.equals("0") && !env.equalsIgnoreCase("false")) {
      return true;
    }
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--debug")) {
        return true;
      }
    }
    return false;
  }

  /**
   * The expected failure in {@code t}'s cause chain, or null: an {@link ExpectedFailure}, a full
   * disk (reported from where it happened, which names the file, with the root cause), or an
   * interruption.
   */
  static Throwable expected(Throwable t) {
    Throwable marked = find(t, ExpectedFailure.class);
    if (marked != null) {
      return marked;
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getMessage() != null && c.getMessage().contains("No space left on device")) {
        return t;
      }
      if (c instanceof InterruptedException
          || c instanceof InterruptedIOException
          || c instanceof ClosedByInterruptException) {
        return t;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  /**
   * The outermost throwable in the cause chain of type {@code type}, also behind Flink's serialised
   * causes.
   */
  static Throwable find(Throwable t, Class<?> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c) || type.isAssignableFrom(originalClass(c))) {
        return c;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  /**
   * The class a Flink {@code SerializedThrowable} stands for (it keeps the class name and message,
   * not the type), so a bad input found on a Flink worker is still bad input here.
   */
  private static Class<?> originalClass(Throwable t) {
    if (!t.getClass().getSimpleName().equals("SerializedThrowable")) {
      return t.getClass();
    }
    try {
      String name = (String) t.getClass().getMethod("getOriginalErrorClassName").invoke(t);
      return Class.forName(name, false, Hatflow.class.getClassLoader());
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return t.getClass();
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "hatflow "
            + io.hatflow.core.run.CodeVersion.get()
            + " (code digest "
            + io.hatflow.core.run.CodeDigest.current().substring(0, 12)
            + ")"
      };
    }
  }
}
