package io.hatflow.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.storage.Storage;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The publish command against the in-memory GCS fake. */
class PublishCommandTest {
  @TempDir Path tmp;

  @Test
  void publishesAndPrintsOneJsonLine() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run.resolve("search"));
    Files.writeString(run.resolve("search/winners.csv"), "a,b\n");
    Files.writeString(run.resolve("manifest.json"), "{\"hatflow_manifest\":1,\"finished\":true}");
    Storage fake = LocalStorageHelper.getOptions().getService();

    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int rc;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      rc =
          new CommandLine(new PublishCommand(() -> fake))
              .execute(run.toString(), "gs://bkt/p", "--json");
    } finally {
      System.setOut(old);
    }
    assertEquals(0, rc);
    String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
    assertEquals(
        "{\"uploaded\":2,\"skipped\":0,\"bytes\":"
            + (4 + Files.size(run.resolve("manifest.json")))
            + ",\"destination\":\"gs://bkt/p\"}",
        lines[lines.length - 1]);
  }

  @Test
  void badInputFailsBeforeAnyStorageIsCreated() {
    AtomicInteger created = new AtomicInteger();
    CommandLine cl =
        new CommandLine(
            new PublishCommand(
                () -> {
                  created.incrementAndGet();
                  return LocalStorageHelper.getOptions().getService();
                }));
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          cmd.getErr().println(ex.getMessage());
          return ex instanceof io.hatflow.core.run.UserInputException ? 2 : 1;
        });
    assertEquals(2, cl.execute(tmp.toString(), "gs://bkt/p"));
    assertTrue(err.toString().contains("no manifest.json"), err.toString());
    assertEquals(2, cl.execute(tmp.toString(), "/local/path"));
    assertTrue(err.toString().contains("is not a gs://BUCKET/PREFIX URI"), err.toString());
    assertEquals(0, created.get());
  }
}
