package io.hatflow.pipelines.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.schemas.LatencyRecord;
import io.hatflow.transforms.latency.LatencyRecords;
import io.hatflow.transforms.latency.MeasureSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatencyPipelineTest {
  @TempDir Path tmp;

  static LatencyPipeline.Job job(int samples) {
    SearchSpace space = SearchSpace.preset("tiny").widenedForLatency();
    MeasureSettings s = MeasureSettings.of("cpu", space, 64, 6, 2, 1, 2, 1, 7);
    return new LatencyPipeline.Job(space, samples, LatencyRecords.seedOf(1, "cpu"), s);
  }

  @Test
  void resumeMeasuresOnlyTheMissingRows() {
    PrintStream log = new PrintStream(new ByteArrayOutputStream());
    LatencyPipeline.Result first =
        LatencyPipeline.run(job(3), tmp, PipelineOptionsFactory.create(), log);
    assertEquals(3, first.rows());
    assertEquals(3, first.measured());
    Map<String, Long> started = new HashMap<>();
    for (LatencyRecord r : LatencyPipeline.readAvro(first.avro())) {
      started.put(r.getConfigKey(), r.getStartEpochMicros());
    }
    LatencyPipeline.Result second =
        LatencyPipeline.run(job(5), tmp, PipelineOptionsFactory.create(), log);
    assertEquals(5, second.rows());
    assertEquals(2, second.measured(), "only the two new configs are timed");
    assertEquals(3, second.reused());
    List<LatencyRecord> all = LatencyPipeline.readAvro(second.avro());
    int kept = 0;
    for (LatencyRecord r : all) {
      if (started.containsKey(r.getConfigKey())) {
        assertEquals(
            started.get(r.getConfigKey()),
            r.getStartEpochMicros(),
            "earlier timing kept as it was");
        kept++;
      }
    }
    assertEquals(3, kept);
    assertEquals(LatencyRecords.rows(all), LatencyCsv.read(second.csv()).rows());
    LatencyPipeline.Result third =
        LatencyPipeline.run(job(5), tmp, PipelineOptionsFactory.create(), log);
    assertEquals(0, third.measured());
    // the sample includes both extremes of the space
    List<String> keys = all.stream().map(LatencyRecord::getConfigKey).toList();
    assertTrue(keys.contains(job(5).space().smallest().key()));
    assertTrue(keys.contains(job(5).space().largest().key()));

    // The same configs on ONNX Runtime: DJL rows are not reused, every config is exported and timed
    // again.
    LatencyPipeline.Job onnx =
        new LatencyPipeline.Job(
            job(5).space(), 5, job(5).samplingSeed(), job(5).settings().withEngine("onnx-int8"));
    LatencyPipeline.Result ort =
        LatencyPipeline.run(onnx, tmp, PipelineOptionsFactory.create(), log);
    assertEquals(5, ort.measured(), "rows of another engine are not reused");
    for (LatencyRecord r : LatencyPipeline.readAvro(ort.avro())) {
      assertEquals("onnx-int8", r.getEngine());
      assertTrue(r.getMeanEncoderMs() > 0 && r.getMeanDecoderMs() > 0, r.toString());
    }
  }

  /** Fields added with the adaptive, pinned protocol; files written before lack them. */
  static final List<String> NEW_FIELDS =
      List.of(
          "maxRuns",
          "runsUsed",
          "ciHalfWidthPct",
          "affinity",
          "governor",
          "loadBefore",
          "loadAfter",
          "underLoad",
          "tries");

  @Test
  void rowsRecordTheirConditionsAndOldFilesStillRead() throws Exception {
    PrintStream log = new PrintStream(new ByteArrayOutputStream());
    LatencyPipeline.Job adaptive =
        new LatencyPipeline.Job(
            job(2).space(), 2, job(2).samplingSeed(), job(2).settings().withMaxRuns(6));
    LatencyPipeline.Result r =
        LatencyPipeline.run(adaptive, tmp, PipelineOptionsFactory.create(), log);
    List<LatencyRecord> rows = LatencyPipeline.readAvro(r.avro());
    assertEquals(2, rows.size());
    boolean procLoad = java.nio.file.Files.exists(Path.of("/proc/loadavg"));
    for (LatencyRecord x : rows) {
      assertEquals(2, x.getRuns());
      assertEquals(6, x.getMaxRuns());
      assertTrue(x.getRunsUsed() >= 2 && x.getRunsUsed() <= 6, x.toString());
      assertTrue(x.getCiHalfWidthPct() != null && x.getCiHalfWidthPct() > 0, x.toString());
      assertTrue(x.getAffinity().toString().matches("cpu \\d+|none"), x.toString());
      assertTrue(!x.getGovernor().toString().isEmpty(), x.toString());
      assertTrue(x.getTries() >= 1 && x.getTries() <= 3, x.toString());
      assertEquals(procLoad, x.getLoadBefore() != null);
      assertEquals(procLoad, x.getLoadAfter() != null);
    }

    // the same rows as a file written before the new fields: they read with the defaults ...
    org.apache.avro.Schema cur = LatencyRecord.getClassSchema();
    List<org.apache.avro.Schema.Field> fields = new java.util.ArrayList<>();
    for (org.apache.avro.Schema.Field f : cur.getFields()) {
      if (!NEW_FIELDS.contains(f.name())) {
        fields.add(new org.apache.avro.Schema.Field(f.name(), f.schema(), f.doc(), f.defaultVal()));
      }
    }
    assertEquals(
        cur.getFields().size() - NEW_FIELDS.size(),
        fields.size(),
        "every new field is in the schema");
    org.apache.avro.Schema old =
        org.apache.avro.Schema.createRecord(
            cur.getName(), cur.getDoc(), cur.getNamespace(), false, fields);
    Path oldDir = tmp.resolve("old");
    java.nio.file.Files.createDirectories(oldDir);
    Path oldFile = LatencyPipeline.avroPath(oldDir, "cpu");
    try (org.apache.avro.file.DataFileWriter<org.apache.avro.generic.GenericRecord> w =
        new org.apache.avro.file.DataFileWriter<>(
            new org.apache.avro.generic.GenericDatumWriter<>(old))) {
      w.create(old, oldFile.toFile());
      for (LatencyRecord x : rows) {
        org.apache.avro.generic.GenericData.Record g =
            new org.apache.avro.generic.GenericData.Record(old);
        for (org.apache.avro.Schema.Field f : fields) {
          g.put(f.name(), x.get(cur.getField(f.name()).pos()));
        }
        w.append(g);
      }
    }
    List<LatencyRecord> back = LatencyPipeline.readAvro(oldFile);
    assertEquals(2, back.size());
    LatencyRecord b = back.get(0);
    assertEquals(0, b.getMaxRuns());
    assertEquals(0, b.getRunsUsed());
    assertEquals(2, LatencyRecords.runsUsedOf(b), "an old row timed exactly runs");
    assertEquals(2, LatencyRecords.maxRunsOf(b));
    assertEquals(null, b.getCiHalfWidthPct());
    assertEquals("unknown", b.getAffinity().toString());
    assertEquals("unknown", b.getGovernor().toString());
    assertEquals(false, b.getUnderLoad());
    assertEquals(1, b.getTries());
    // ... stand in for HAT's fixed protocol of the same runs, and are timed again for the adaptive
    // one
    assertEquals(
        0, LatencyPipeline.run(job(2), oldDir, PipelineOptionsFactory.create(), log).measured());
    assertEquals(
        2, LatencyPipeline.run(adaptive, oldDir, PipelineOptionsFactory.create(), log).measured());
  }
}
