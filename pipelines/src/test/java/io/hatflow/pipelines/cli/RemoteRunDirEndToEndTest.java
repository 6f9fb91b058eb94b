package io.hatflow.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reduced demo with its run directory on a real HDFS (NameNode + DataNode in this JVM): same
 * winners byte for byte as a local run directory, finished work seen from another machine's working
 * copy (cached, audited), and an artifact changed on HDFS after its stage finished refused by name.
 */
class RemoteRunDirEndToEndTest {
  @TempDir Path tmp;
  MiniDFSCluster hdfs;

  @BeforeEach
  void start() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("dfs").toString());
    hdfs = new MiniDFSCluster.Builder(conf, tmp.resolve("dfs").toFile()).numDataNodes(1).build();
    hdfs.waitActive();
  }

  @AfterEach
  void stop() {
    System.clearProperty("hatflow.workDir");
    hdfs.shutdown(true);
  }

  @Test
  void demoOnHdfsMatchesLocalAndResumesElsewhere() throws Exception {
    String uri = "hdfs://127.0.0.1:" + hdfs.getNameNodePort() + "/runs/demo";
    Path local = tmp.resolve("local-demo");
    HatflowCliTest.Out onDisk = DemoEndToEndTest.demo(local);
    assertEquals(0, onDisk.code(), onDisk.err() + onDisk.out());

    // This CPU's latency is measured live; the HDFS run reuses the local run's rows (the stage
    // keeps measured
    // rows), so both searches see the same predictor and must find the same winners.
    FileSystem fs = hdfs.getFileSystem();
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(local.resolve("latency/this-cpu.avro").toUri()),
        new org.apache.hadoop.fs.Path("/runs/demo/latency/this-cpu.avro"));
    System.setProperty("hatflow.workDir", tmp.resolve("machine-a").toString());
    HatflowCliTest.Out onHdfs = DemoEndToEndTest.reduced("demo", "--run-dir", uri);
    assertEquals(0, onHdfs.code(), onHdfs.err() + onHdfs.out());
    assertTrue(onHdfs.out().contains(uri), onHdfs.out());

    for (String f :
        List.of(
            "manifest.json",
            "spec.yaml",
            "prepare/vocab/vocab.txt",
            "train/checkpoint.hfc",
            "search/winners.json",
            "finalize/results.json",
            "report/index.html")) {
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/runs/demo/" + f)), f + " on HDFS");
    }
    assertFalse(fs.exists(new org.apache.hadoop.fs.Path("/runs/demo/.lock")), "lock released");
    byte[] winners;
    try (var in = fs.open(new org.apache.hadoop.fs.Path("/runs/demo/search/winners.json"))) {
      winners = in.readAllBytes();
    }
    assertArrayEquals(
        Files.readAllBytes(local.resolve("search/winners.json")),
        winners,
        "same winners with the run directory on HDFS as on the local disk");

    // Another machine (an empty working copy) sees the finished run: every stage cached, audit
    // clean.
    System.setProperty("hatflow.workDir", tmp.resolve("machine-b").toString());
    HatflowCliTest.Out again = DemoEndToEndTest.reduced("demo", "--run-dir", uri);
    assertEquals(0, again.code(), again.err() + again.out());
    for (String stage :
        List.of("prepare", "train", "latency", "predictor", "search", "finalize", "report")) {
      assertTrue(
          again.out().contains("[" + stage + "] cached"),
          stage + " cached on the other machine:\n" + again.out());
    }
    HatflowCliTest.Out audit = HatflowCliTest.run("audit", uri);
    assertEquals(0, audit.code(), audit.out() + audit.err());

    // A predictor changed on HDFS after the predictor stage finished is named and never used.
    org.apache.hadoop.fs.Path pred = null;
    var it = fs.listFiles(new org.apache.hadoop.fs.Path("/runs/demo/predictor/this-cpu"), true);
    while (it.hasNext()) {
      pred = it.next().getPath();
    }
    try (OutputStream out = fs.create(pred, true)) {
      out.write("tampered".getBytes());
    }
    HatflowCliTest.Out bad =
        DemoEndToEndTest.reduced(
            "search", "--spec", DemoCommand.demoSpec().toString(), "--run-dir", uri, "--force");
    assertEquals(1, bad.code(), bad.err() + bad.out());
    assertTrue(
        bad.err().contains(uri + "/predictor/this-cpu") && bad.err().contains("does not match"),
        bad.err());
  }
}
