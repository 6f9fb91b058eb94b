package io.hatflow.pipelines.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.latency.LatencyCsvException;
import io.hatflow.core.run.Digests;
import io.hatflow.pipelines.stages.LatencyStage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs through Beam FileSystems, on local files (Beam has no in-memory gs://, and tests stay off
 * the network: the gs:// path differs only in the scheme FileSystems resolves).
 */
class InputFilesTest {
  @TempDir Path tmp;

  static Path testdata() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("testdata/latency"))) {
        return d.resolve("testdata");
      }
    }
    throw new IllegalStateException("testdata/ not found");
  }

  @Test
  void remoteIsAnySchemeButFile() {
    assertTrue(InputFiles.isRemote("gs://bucket/a.csv"));
    assertTrue(InputFiles.isRemote("s3://bucket/a.csv"));
    assertFalse(InputFiles.isRemote("/data/a.csv"));
    assertFalse(InputFiles.isRemote("runs/x"));
    assertFalse(InputFiles.isRemote("file:///data/a.csv"));
    assertFalse(InputFiles.isRemote("C:/data"), "no '//' after the colon: not a URI");
    assertEquals(
        "gs://b/runs/r/train/checkpoint.hfc",
        InputFiles.child("gs://b/runs/r/", "train", "checkpoint.hfc"));
    assertEquals("runs/r/train", InputFiles.child("runs/r", "train"));
  }

  @Test
  void readsAndCopiesLocalFilesThroughBeamFileSystems() throws Exception {
    Path f = tmp.resolve("in.bin");
    byte[] bytes = new byte[200_000];
    new java.util.Random(1).nextBytes(bytes);
    Files.write(f, bytes);
    var options = PipelineOptionsFactory.create();
    assertArrayEquals(bytes, InputFiles.readAll("x", f.toString(), options));
    assertArrayEquals(
        bytes, InputFiles.readAll("x", f.toString(), null), "without options: Beam's defaults");
    assertTrue(InputFiles.exists(f.toString(), options));
    Path dst = tmp.resolve("sub/dir/out.bin");
    InputFiles.copyToLocal("x", f.toString(), dst, options);
    assertArrayEquals(bytes, Files.readAllBytes(dst));
    assertFalse(Files.exists(dst.resolveSibling("out.bin.part")), "no temporary file left");
  }

  @Test
  void aMissingInputNamesTheKeyAndThePath() {
    String missing = tmp.resolve("none.csv").toString();
    assertFalse(InputFiles.exists(missing, null));
    var e =
        assertThrows(
            InputFiles.MissingInputException.class,
            () -> InputFiles.readAll("targets.gpu.latency.dataset", missing, null));
    assertEquals("targets.gpu.latency.dataset: no such file: " + missing, e.getMessage());
    assertTrue(e instanceof IllegalArgumentException, "bad input: the CLI exits 2");
    var dir =
        assertThrows(
            InputFiles.MissingInputException.class,
            () -> InputFiles.readAll("k", tmp.toString(), null));
    assertTrue(dir.getMessage().contains("is a directory"), dir.getMessage());
  }

  @Test
  void latencyImportReadsThroughFileSystemsValidatesAndRecordsTheDigest() throws Exception {
    Path src = testdata().resolve("latency/tiny-epyc-1t.csv");
    Path dst = tmp.resolve("latency/epyc.csv");
    LatencyStage.Imported imp =
        LatencyStage.importCsv(
            "targets.epyc.latency.dataset", src.toString(), dst, PipelineOptionsFactory.create());
    assertTrue(imp.table().size() > 0);
    assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(dst));
    assertEquals(Digests.sha256(src), imp.sha256());

    Path bad = tmp.resolve("bad.csv");
    Files.writeString(bad, Files.readString(src).replaceFirst("\n[^\n]*\n", "\n1,2,3\n"));
    var e =
        assertThrows(
            LatencyCsvException.class,
            () ->
                LatencyStage.importCsv("k", bad.toString(), tmp.resolve("latency/bad.csv"), null));
    assertTrue(e.getMessage().startsWith(bad + ":2: expected 14 columns"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("latency/bad.csv")), "nothing written for a bad dataset");
  }
}
