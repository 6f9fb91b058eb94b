package io.hatflow.pipelines.rundir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import io.hatflow.core.run.RunDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The run directory's home on each kind of filesystem: a local folder through Hadoop's {@code
 * file://}, a real HDFS (NameNode + DataNode in this JVM) and Cloud Storage (the client's in-memory
 * fake, never the network).
 */
class RunHomeTest {
  static MiniDFSCluster hdfs;
  static Path hdfsBase;

  @BeforeAll
  static void startHdfs() throws Exception {
    hdfsBase = Files.createTempDirectory("hatflow-minidfs-");
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, hdfsBase.toString());
    hdfs = new MiniDFSCluster.Builder(conf, hdfsBase.toFile()).numDataNodes(1).build();
    hdfs.waitActive();
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.shutdown(true);
    }
    io.hatflow.core.run.AtomicFiles.deleteTree(hdfsBase);
  }

  static String hdfsUri() {
    return "hdfs://127.0.0.1:" + hdfs.getNameNodePort();
  }

  static Stream<Arguments> homes() {
    return Stream.of(
        Arguments.of(
            "local",
            (Supplier<java.util.function.Function<String, SyncedHome>>)
                () -> {
                  try {
                    Path d = Files.createTempDirectory("hatflow-home-");
                    return name -> new HadoopHome("file://" + d.resolve(name), new Configuration());
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                }),
        Arguments.of(
            "hdfs",
            (Supplier<java.util.function.Function<String, SyncedHome>>)
                () ->
                    name ->
                        new HadoopHome(
                            hdfsUri() + "/runs/" + name,
                            HadoopHome.quickFailing(new Configuration()))),
        Arguments.of(
            "gcs",
            (Supplier<java.util.function.Function<String, SyncedHome>>)
                () -> {
                  var storage = LocalStorageHelper.getOptions().getService();
                  return name -> new GcsHome("gs://hatflow-test/runs/" + name, storage);
                }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("homes")
  void commitsPullsAndLocks(
      String kind,
      Supplier<java.util.function.Function<String, SyncedHome>> make,
      @TempDir Path tmp)
      throws Exception {
    var factory = make.get();
    SyncedHome home = factory.apply("r1");
    Path a = tmp.resolve("machine-a");
    Files.createDirectories(a.resolve("train"));
    Files.writeString(a.resolve("train/checkpoint.hfc"), "weights v1");
    Files.writeString(a.resolve("train/train.log"), "step 1\n");
    Files.writeString(a.resolve("manifest.json"), "{}");
    home.lock("pid 1 on host a");
    home.push(a, "train");
    home.push(a, "manifest.json");

    // A second machine pulls exactly what was committed.
    SyncedHome other = factory.apply("r1");
    Path b = tmp.resolve("machine-b");
    Files.createDirectories(b.resolve("stale"));
    Files.writeString(b.resolve("stale/left-over.txt"), "from an older run");
    other.pull(b, "");
    assertEquals("weights v1", Files.readString(b.resolve("train/checkpoint.hfc")));
    assertEquals("step 1\n", Files.readString(b.resolve("train/train.log")));
    assertFalse(
        Files.exists(b.resolve("stale/left-over.txt")), "the working copy mirrors the home");

    // The lock is exclusive and names its holder.
    RunDir.LockedException locked =
        assertThrows(RunDir.LockedException.class, () -> other.lock("pid 2 on host b"));
    assertTrue(locked.getMessage().contains("pid 1 on host a"), locked.getMessage());

    // A rewrite replaces the file whole; a deleted file goes at home too; unchanged files are not
    // sent again.
    Files.writeString(a.resolve("train/checkpoint.hfc"), "weights v2, longer");
    Files.delete(a.resolve("train/train.log"));
    home.push(a, "train");
    other.pull(b, "train");
    assertEquals("weights v2, longer", Files.readString(b.resolve("train/checkpoint.hfc")));
    assertEquals(1, home.list("train").size(), home.list("train").toString());
    assertTrue(
        home.list("").keySet().stream().noneMatch(r -> r.contains("tmp")),
        home.list("").toString());

    // After the holder lets go, the other machine can take over (resume elsewhere).
    home.unlock();
    other.lock("pid 2 on host b");
    other.unlock();

    // Binary content survives byte for byte.
    byte[] bytes = new byte[300_000];
    new java.util.Random(7).nextBytes(bytes);
    Files.write(a.resolve("train/checkpoint.hfc"), bytes);
    home.push(a, "train");
    Path c = tmp.resolve("machine-c");
    factory.apply("r1").pull(c, "");
    assertArrayEquals(bytes, Files.readAllBytes(c.resolve("train/checkpoint.hfc")));
  }

  @Test
  void unknownSchemeIsNamedWithTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RunLocation.of("ftp://host/runs/demo", PipelineOptionsFactory.create()));
    assertTrue(
        e.getMessage().contains("\"ftp\"")
            && e.getMessage().contains("hdfs://")
            && e.getMessage().contains("gs://"),
        e.getMessage());
  }

  @Test
  void unreachableNameNodeFailsWithinSeconds() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort(); // free, and closed again: nothing listens there
    }
    RunLocation loc =
        RunLocation.of("hdfs://127.0.0.1:" + port + "/runs/x", PipelineOptionsFactory.create());
    long t0 = System.nanoTime();
    Exception e = assertThrows(Exception.class, () -> loc.home().lock("me"));
    double s = (System.nanoTime() - t0) / 1e9;
    assertTrue(s < 20, "took " + s + " s");
    assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
  }
}
