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
  @TempDir
  Path tmp;

  static LatencyPipeline.Job job(int samples) {
    SearchSpace space = SearchSpace.preset("tiny").widenedForLatency();
    MeasureSettings s = MeasureSettings.of("cpu", space, 64, 6, 2, 1, 2, 1, 7);
    return new LatencyPipeline.Job(space, samples, LatencyRecords.seedOf(1, "cpu"), s);
  }

  @Test
  void resumeMeasuresOnlyTheMissingRows() {
    PrintStream log = new PrintStream(new ByteArrayOutputStream());
    LatencyPipeline.Result first = LatencyPipeline.run(job(3), tmp, PipelineOptionsFactory.create(), log);
    assertEquals(3, first.rows());
    assertEquals(3, first.measured());
    Map<String, Long> started = new HashMap<>();
    for (LatencyRecord r : LatencyPipeline.readAvro(first.avro())) {
      started.put(r.getConfigKey(), r.getStartEpochMicros());
    }
    LatencyPipeline.Result second = LatencyPipeline.run(job(5), tmp, PipelineOptionsFactory.create(), log);
    assertEquals(5, second.rows());
    assertEquals(2, second.measured(), "only the two new configs are timed");
    assertEquals(3, second.reused());
    List<LatencyRecord> all = LatencyPipeline.readAvro(second.avro());
    int kept = 0;
    for (LatencyRecord r : all) {
      if (started.containsKey(r.getConfigKey())) {
        assertEquals(started.get(r.getConfigKey()), r.getStartEpochMicros(), "earlier timing kept as it was");
        kept++;
      }
    }
    assertEquals(3, kept);
    assertEquals(LatencyRecords.rows(all), LatencyCsv.read(second.csv()).rows());
    LatencyPipeline.Result third = LatencyPipeline.run(job(5), tmp, PipelineOptionsFactory.create(), log);
    assertEquals(0, third.measured());
    // the sample includes both extremes of the space
    List<String> keys = all.stream().map(LatencyRecord::getConfigKey).toList();
    assertTrue(keys.contains(job(5).space().smallest().key()));
    assertTrue(keys.contains(job(5).space().largest().key()));

    // The same configs on ONNX Runtime: DJL rows are not reused, every config is exported and timed again.
    LatencyPipeline.Job onnx = new LatencyPipeline.Job(job(5).space(), 5, job(5).samplingSeed(),
        job(5).settings().withEngine("onnx-int8"));
    LatencyPipeline.Result ort = LatencyPipeline.run(onnx, tmp, PipelineOptionsFactory.create(), log);
    assertEquals(5, ort.measured(), "rows of another engine are not reused");
    for (LatencyRecord r : LatencyPipeline.readAvro(ort.avro())) {
      assertEquals("onnx-int8", r.getEngine());
      assertTrue(r.getMeanEncoderMs() > 0 && r.getMeanDecoderMs() > 0, r.toString());
    }
  }
}
