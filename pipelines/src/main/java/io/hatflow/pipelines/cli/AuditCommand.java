package io.hatflow.pipelines.cli;

import io.hatflow.core.run.Audit;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "Check every digest a run recorded (spec, inputs, outputs) and its code version; "
        + "exit 1 naming each artifact that does not match.")
public final class AuditCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_DIR")
  Path runDir;

  @Option(names = "--json", description = "Print one JSON object as the last line.")
  boolean json;

  @Override
  public Integer call() {
    Audit.Result r = Audit.check(runDir);
    for (Audit.Finding f : r.findings()) {
      System.out.println(f.line());
    }
    boolean sameCode = r.recordedCode() != null && r.recordedCode().equals(r.currentCode());
    System.out.println((sameCode ? "ok        " : "note      ") + "code version: recorded " + r.recordedCode()
        + (sameCode ? "" : ", running " + r.currentCode()));
    System.out.println(r.ok() ? "audit passed: " + r.findings().size() + " artifacts match"
        : "audit FAILED: " + r.mismatches() + " of " + r.findings().size() + " artifacts do not match");
    if (json) {
      System.out.println(r.toJson().toString());
    }
    return r.ok() ? 0 : 1;
  }
}
