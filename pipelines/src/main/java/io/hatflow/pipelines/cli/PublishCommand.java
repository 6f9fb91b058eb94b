package io.hatflow.pipelines.cli;

import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import io.hatflow.pipelines.publish.GcsUri;
import io.hatflow.pipelines.publish.Publisher;
import io.hatflow.pipelines.publish.Publisher.PublishReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hatflow publish RUN_DIR gs://BUCKET/PREFIX}: uploads a finished run, never overwriting
 * anything.
 */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    description = {
      "Uploads a finished run directory to gs://BUCKET/PREFIX, manifest.json last, so a reader that sees the "
          + "manifest sees the whole run. Nothing is ever overwritten: objects already there with the same "
          + "checksums are skipped (a re-run completes an interrupted publish), different ones are an error.",
      "Credentials: Application Default Credentials (gcloud auth application-default login, or "
          + "GOOGLE_APPLICATION_CREDENTIALS)."
    })
public final class PublishCommand implements Callable<Integer> {
  private final Supplier<Storage> storage;

  public PublishCommand() {
    this(() -> StorageOptions.getDefaultInstance().getService());
  }

  /** For tests: another storage (e.g. the in-memory {@code LocalStorageHelper}). */
  PublishCommand(Supplier<Storage> storage) {
    this.storage = storage;
  }

  @Parameters(
      index = "0",
      paramLabel = "RUN_DIR",
      description = "A finished run directory: a local path or hdfs://..., gs://... URI.")
  String runDirArg;

  @Parameters(
      index = "1",
      paramLabel = "gs://BUCKET/PREFIX",
      description = "Where the run's files go.")
  String destination;

  @Option(
      names = "--verify",
      paramLabel = "HOW",
      defaultValue = "METADATA",
      description =
          "How each object is checked after upload: METADATA (the CRC32C/MD5 GCS computed) or "
              + "DOWNLOAD (read it back and checksum the bytes). Default: ${DEFAULT-VALUE}.")
  Publisher.Verify verify;

  @Option(
      names = "--json",
      description = "Print {\"uploaded\":..,\"skipped\":..,\"bytes\":..} as the last line.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    // Bad input first, before touching credentials or the network.
    GcsUri.parse(destination);
    return RunDirs.existing(runDirArg, null, null, (dir, uri) -> publish(dir));
  }

  private int publish(Path runDir) {
    Publisher.requireFinished(runDir);
    PublishReport r = new Publisher(storage.get(), verify).publish(runDir, destination);
    System.out.println(
        "published "
            + runDir
            + " to "
            + r.destination()
            + ": "
            + r.uploaded()
            + " uploaded ("
            + r.bytes()
            + " bytes), "
            + r.skipped()
            + " already there");
    if (json) {
      System.out.println(r.toJson());
    }
    return 0;
  }
}
