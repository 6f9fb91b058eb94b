package io.hatflow.pipelines.rundir;

import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.RunHome;
import io.hatflow.core.run.UserInputException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.hdfs.HadoopFileSystemOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.hadoop.conf.Configuration;

/**
 * Where a run directory is, from {@code --run-dir}: a local path (the default; stages work in it
 * directly), or a URI on a distributed filesystem ({@code hdfs://namenode:port/path}, {@code
 * gs://bucket/path}), which stages reach through a local working copy ({@link #work()})
 * synchronised with the {@link #home()}. Beam jobs get the home's URIs, so workers never need this
 * machine's disk.
 */
public record RunLocation(String given, Path work, RunHome home) {
  /** Schemes a run directory may use besides local paths. */
  public static final List<String> SCHEMES = List.of("hdfs", "gs");

  public boolean remote() {
    return home != null;
  }

  /**
   * Whether {@code value} names a URI with a scheme (other than {@code file:}), not a local path.
   */
  public static boolean isUri(String value) {
    return scheme(value) != null;
  }

  static String scheme(String value) {
    int i = value.indexOf("://");
    if (i <= 0 || !value.substring(0, i).matches("[A-Za-z][A-Za-z0-9+.-]*")) {
      return null;
    }
    String s = value.substring(0, i).toLowerCase(Locale.ROOT);
    return s.equals("file") ? null : s;
  }

  /**
   * Resolves {@code value}. For {@code hdfs://} it also gives Beam's options the NameNode (unless
   * the user set {@code --hdfsConfiguration}), so the workers' FileSystems know the scheme too.
   *
   * @throws IllegalArgumentException for a scheme no run directory can use, naming the supported
   *     ones
   */
  public static RunLocation of(String value, PipelineOptions options) {
    String scheme = scheme(value);
    if (scheme == null) {
      return new RunLocation(value, Path.of(value.replaceFirst("^file://", "")), null);
    }
    String uri = value.replaceAll("/+$", "");
    return switch (scheme) {
      case "hdfs", "webhdfs" ->
          new RunLocation(value, workCopy(uri), new HadoopHome(uri, hadoopConf(uri, options)));
      case "gs" -> new RunLocation(value, workCopy(uri), new GcsHome(uri, gcs()));
      default ->
          throw new UserInputException(
              "--run-dir "
                  + value
                  + ": no filesystem for the scheme \""
                  + scheme
                  + "\" (run directories can be local paths or "
                  + String.join(", ", SCHEMES.stream().map(s -> s + "://").toList())
                  + ")");
    };
  }

  /**
   * The options' Hadoop configuration with the run's NameNode as default filesystem, set on the
   * options too.
   */
  static Configuration hadoopConf(String uri, PipelineOptions options) {
    HadoopFileSystemOptions h = options.as(HadoopFileSystemOptions.class);
    List<Configuration> given = h.getHdfsConfiguration();
    Configuration conf;
    if (given != null && !given.isEmpty()) {
      conf = given.get(0);
    } else {
      conf = new Configuration(false);
      java.net.URI u = java.net.URI.create(uri);
      conf.set("fs.defaultFS", u.getScheme() + "://" + u.getAuthority());
      h.setHdfsConfiguration(List.of(conf));
    }
    FileSystems.setDefaultPipelineOptions(options);
    return HadoopHome.quickFailing(conf);
  }

  private static Storage storage;

  /**
   * Tests put an in-memory Cloud Storage here ({@code LocalStorageHelper}); null: the real one
   * (ADC).
   */
  public static synchronized void useStorage(Storage s) {
    storage = s;
  }

  private static synchronized Storage gcs() {
    if (storage == null) {
      storage = StorageOptions.getDefaultInstance().getService();
    }
    return storage;
  }

  /**
   * This machine's working copy of a remote run: {@code $HATFLOW_WORK_DIR} or {@code
   * ~/.cache/hatflow/work}, one folder per URI. It is only a cache: opening the run makes it equal
   * to the home again.
   */
  static Path workCopy(String uri) {
    String base =
        System.getProperty(
            "hatflow.workDir",
            System.getenv()
                .getOrDefault(
                    "HATFLOW_WORK_DIR", System.getProperty("user.home") + "/.cache/hatflow/work"));
    String last = uri.substring(uri.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "_");
    return Path.of(base, Digests.sha256(uri).substring(0, 16) + "-" + last);
  }

  /** For messages and the manifest: the URI, or the path as given. */
  @Override
  public String toString() {
    return home != null ? home.uri() : work.toString();
  }
}
